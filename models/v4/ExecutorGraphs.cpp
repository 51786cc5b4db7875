//===- ExecutorGraphs.cpp - decode steps recorded and replayed as graphs --===//
//
// ExecutorOptions::graphs: a decode step's launches, copies and fills are
// recorded (Impl::run, copy, fill32) and queued at its end as one
// DeviceGraph, made the first time that exact work is seen and replayed
// while it recurs (docs/architecture.md).
//
//===----------------------------------------------------------------------===//
#include "models/v4/ExecutorImpl.h"

#include <algorithm>
#include <cstdio>

using namespace dsv4c;
using namespace dsv4c::v4;

void Executor::Impl::startRecording() {
  // Graphs paused because steps kept changing (a batch ramping up) are
  // tried again after kPausedSteps decode steps.
  constexpr int64_t kPausedSteps = 64;
  if (graphsPaused && ++pausedSteps >= kPausedSteps) {
    graphsPaused = false;
    graphsMadeInARow = 0;
  }
  recording = options.graphs && !options.profile && !noGraphs && !graphsPaused;
  recorded.clear();
}

bool Executor::Impl::runRecorded() {
  if (!recording)
    return true;
  recording = false;
  ++graphStats.eager;
  std::string e;
  for (const RecordedWork &w : recorded)
    if (!w.run(device, e))
      return fail(e);
  recorded.clear();
  return true;
}

bool Executor::Impl::finishRecording() {
  if (!recording)
    return true;
  recording = false;
  std::string e;
  for (size_t i = 0; i < graphs.size(); ++i) {
    if (graphs[i].work != recorded)
      continue;
    std::rotate(graphs.begin() + i, graphs.begin() + i + 1, graphs.end());
    ++graphStats.replayed;
    graphsMadeInARow = 0;
    recorded.clear();
    return graphs.back().graph->launch(e) || fail(e);
  }
  // A step's work repeats while the batch does (same sequences, same
  // scratch; positions and page tables are device arrays): graphs made step
  // after step and never replayed cost more than they save, so they pause.
  constexpr int64_t kMaxMadeInARow = 8;
  constexpr size_t kMaxGraphs = 8;
  std::unique_ptr<DeviceGraph> graph = device.makeGraph(recorded, e);
  if (!graph) {
    // The device makes none, or could not make this one (then it is not
    // asked again): the recorded work runs as it was.
    if (!e.empty())
      std::fprintf(stderr,
                   "warning: decode steps launched one by one from "
                   "now on (making a graph failed: %s)\n",
                   e.c_str());
    noGraphs = true;
    recording = true;
    return runRecorded();
  }
  ++graphStats.made;
  if (++graphsMadeInARow >= kMaxMadeInARow) {
    graphsPaused = true;
    pausedSteps = 0;
  }
  if (graphs.size() >= kMaxGraphs)
    graphs.erase(graphs.begin());
  graphs.push_back({std::move(recorded), std::move(graph)});
  recorded.clear();
  graphStats.kept = graphs.size();
  return graphs.back().graph->launch(e) || fail(e);
}

GraphStats Executor::graphStats() const { return impl_->graphStats; }
