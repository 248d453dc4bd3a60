#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Every tracked source file of skiff carries the project's SPDX licence
identifier (Apache-2.0, LICENSE) in its first lines, so tools that scan for
licences (REUSE, ScanCode, the OCI image's labels) agree with the repository.

Usage: licence_headers_test.py SOURCE_DIR. Fails listing each file without it.
Vendored data (JSON fixtures, corpora, the JMESPath compliance files) and
documents are not source files and are not checked.
"""
import os
import subprocess
import sys

TAG = "SPDX-License-Identifier: Apache-2.0"
SOURCE_SUFFIXES = (".cc", ".h", ".cpp", ".hpp", ".c", ".proto", ".cmake", ".py", ".sh", ".lua", ".supp")


def tracked_files(root):
    if os.path.isdir(os.path.join(root, ".git")) or os.path.isfile(os.path.join(root, ".git")):
        out = subprocess.run(["git", "-C", root, "ls-files"], check=True, capture_output=True, text=True)
        return out.stdout.split()
    found = []
    for base, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if d not in ("build", "node_modules", ".git") and not d.startswith("build-")]
        found += [os.path.relpath(os.path.join(base, f), root) for f in files]
    return found


def is_source(rel, path):
    name = os.path.basename(rel)
    if name.endswith(SOURCE_SUFFIXES) or name in ("CMakeLists.txt", "Dockerfile"):
        return True
    if rel.startswith(("scripts/", ".ci/")) and "." not in name:
        return True
    return False


def main():
    root = sys.argv[1]
    missing = []
    checked = 0
    for rel in tracked_files(root):
        path = os.path.join(root, rel)
        if not os.path.isfile(path) or os.path.islink(path) or not is_source(rel, path):
            continue
        with open(path, "rb") as f:
            head = f.read(400)
        checked += 1
        if TAG.encode() not in head:
            missing.append(rel)
    if missing:
        print(f"{len(missing)} of {checked} source files lack '{TAG}' in their first lines; add it as the "
              "first comment line (after a #! line):", file=sys.stderr)
        for rel in missing:
            print("  " + rel, file=sys.stderr)
        return 1
    print(f"{checked} source files carry '{TAG}'")
    return 0


if __name__ == "__main__":
    sys.exit(main())
