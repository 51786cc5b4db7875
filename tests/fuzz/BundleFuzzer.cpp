//===- BundleFuzzer.cpp - libFuzzer target: the bundle reader -------------===//
//
// Any bytes must give a bundle or an error, never a crash, hang or
// out-of-bounds read: the container (header, section table, checksums) and
// then the manifest, config and graph a model load reads from it.
//
//===----------------------------------------------------------------------===//
#include "FuzzInput.h"

#include "runtime/Bundle.h"
#include "tools/runner/Model.h"

using namespace dsv4c;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fuzz::InputFile input(data, size);
  if (!input.ok())
    return 0;
  std::string error;
  // Checksums are skipped half the time so mutations reach the contents.
  bool verify = size % 2 == 0;
  std::unique_ptr<Bundle> bundle = Bundle::open(input.path(), error, verify);
  if (!bundle)
    return 0;
  runner::Manifest manifest;
  runner::parseManifest(*bundle, manifest, error);
  if (const BundleSection *cfg = bundle->find(runner::kConfigSection)) {
    std::string jsonError;
    if (auto json = parseJson(cfg->text(), jsonError)) {
      v4::V4Config config;
      v4::parseV4ConfigJson(*json, config, error);
    }
  }
  return 0;
}
