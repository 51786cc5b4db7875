#!/usr/bin/env python3
"""Checks that NumPy loads the .npy files dsv4c writes, and that dsv4c reads
the files NumPy writes back.

Usage: npy_numpy_check.py PATH/TO/runtime_tests

1. runtime_tests (Npy.InterchangeFiles, DSV4C_NPY_EXPORT_DIR) writes one
   file per element type with fixed contents;
2. np.load() opens each and its values/bits are checked here (with ml_dtypes
   too when it is importable);
3. np.save() writes them back, plus plain uint16/uint8 copies of the
   bf16/f8/f4 ones, and runtime_tests (DSV4C_NPY_FROM_NUMPY) reads those.

Without NumPy it prints "SKIPPED: numpy not importable" and exits 0.
"""
import os
import subprocess
import sys
import tempfile

try:
    import numpy as np
except ImportError:
    print("SKIPPED: numpy not importable")
    sys.exit(0)


def expected(type_name):
    """(numpy dtype of the loaded array, field name or None, raw values)."""
    a = np.arange
    table = {
        "f32": ("<f4", None, (a(6) * 0.5 - 1).reshape(2, 3)),
        "f16": ("<f2", None, a(4) * 0.5 - 1),
        "i8": ("|i1", None, a(5) * 3 - 7),
        "i32": ("<i4", None, (a(4) * 100000 - 7).reshape(2, 2)),
        "i64": ("<i8", None, a(3, dtype=np.int64) * (1 << 40) - 5),
        "i1": ("|b1", None, a(5) % 2 == 1),
        "bf16": ("<u2", "bf16", (0x3F80 + a(6)).reshape(2, 3)),
        "f8E4M3FN": ("|u1", "f8E4M3FN", a(7) * 37 % 256),
        "f8E8M0FNU": ("|u1", "f8E8M0FNU", 120 + a(4)),
        "f4E2M1FN": ("|u1", "f4E2M1FN", (a(15) % 16).reshape(3, 5)),
    }
    return table[type_name]


def run_tests(binary, env_key, directory):
    env = dict(os.environ)
    env[env_key] = directory
    subprocess.run([binary, "--gtest_filter=Npy.InterchangeFiles"],
                   env=env, check=True)


def main():
    binary = sys.argv[1]
    names = ["f32", "f16", "i8", "i32", "i64", "i1", "bf16", "f8E4M3FN",
             "f8E8M0FNU", "f4E2M1FN"]
    checked = 0
    with tempfile.TemporaryDirectory() as tmp:
        out_dir = os.path.join(tmp, "from_cpp")
        back_dir = os.path.join(tmp, "from_numpy")
        os.mkdir(out_dir)
        os.mkdir(back_dir)
        run_tests(binary, "DSV4C_NPY_EXPORT_DIR", out_dir)

        for name in names:
            dtype, field, values = expected(name)
            arr = np.load(os.path.join(out_dir, name + ".npy"))
            if field is None:
                assert arr.dtype == np.dtype(dtype), (name, arr.dtype)
                raw = arr
            else:
                assert arr.dtype.names == (field,), (name, arr.dtype)
                raw = arr[field]
                assert raw.dtype == np.dtype(dtype), (name, raw.dtype)
            assert raw.shape == values.shape, (name, raw.shape)
            assert np.array_equal(raw, values.astype(dtype)), (name, raw)
            checked += 1

            np.save(os.path.join(back_dir, name + ".npy"), arr)
            if field is not None:
                np.save(os.path.join(back_dir, "plain_" + name + ".npy"), raw)

        try:
            import ml_dtypes
        except ImportError:
            print("npy_numpy_check: ml_dtypes not importable; "
                  "float views not checked")
        else:
            bf = np.load(os.path.join(out_dir, "bf16.npy"))["bf16"]
            assert bf.view(ml_dtypes.bfloat16).astype(np.float32)[0, 0] == 1.0
            f4 = np.load(os.path.join(out_dir, "f4E2M1FN.npy"))["f4E2M1FN"]
            got = f4.view(ml_dtypes.float4_e2m1fn).astype(np.float32)
            want = [0, .5, 1, 1.5, 2, 3, 4, 6, -0., -.5, -1, -1.5, -2, -3, -4]
            assert np.array_equal(got.ravel(), np.float32(want)), got
            e8 = np.load(os.path.join(out_dir, "f8E8M0FNU.npy"))["f8E8M0FNU"]
            got = e8.view(ml_dtypes.float8_e8m0fnu).astype(np.float32)
            assert np.array_equal(got, np.float32([2.0**k for k in range(-7, -3)]))
            print("npy_numpy_check: ml_dtypes views of bf16/f4/f8E8M0FNU ok")

        run_tests(binary, "DSV4C_NPY_FROM_NUMPY", back_dir)
    print("npy_numpy_check: numpy %s loaded %d dsv4c files; dsv4c read them "
          "back from np.save" % (np.__version__, checked))
    return 0


if __name__ == "__main__":
    sys.exit(main())
