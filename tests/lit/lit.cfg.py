# -*- Python -*-
# lit configuration of dsv4c's tests. Run from the build tree, whose
# lit.site.cfg.py sets the tool and source/binary directories used here.
import os

import lit.formats
from lit.llvm import llvm_config
from lit.llvm.subst import ToolSubst

if not hasattr(config, "dsv4c_tools_dir"):
    lit_config.fatal(
        "run lit on the build tree (<build>/tests/lit), not the source tree")

config.name = "dsv4c"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir"]
config.excludes = ["CMakeLists.txt", "lit.cfg.py", "lit.site.cfg.py", "Inputs"]

config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = config.dsv4c_lit_binary_dir

# `not` at the start of a RUN line and other LLVM tools come from PATH.
llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)
llvm_config.with_environment("PATH", config.dsv4c_tools_dir, append_path=True)

# FileCheck, `| not`, `| count` from LLVM; %python.
llvm_config.use_default_substitutions()

# `dsv4c` resolves to the binary of this build tree, never one on PATH.
llvm_config.add_tool_substitutions(
    [ToolSubst("dsv4c", unresolved="fatal"),
     ToolSubst("dsv4-run", unresolved="fatal"),
     ToolSubst("bundle_forge", unresolved="fatal"),
     ToolSubst("not", unresolved="fatal")],
    [config.dsv4c_tools_dir, config.dsv4c_runner_dir,
     config.dsv4c_test_tools_dir, config.llvm_tools_dir])

# The source tree, for scripts the tests run (e.g. scripts/engram_tables.py).
config.substitutions.append(("%dsv4c_src", config.dsv4c_src_root))
