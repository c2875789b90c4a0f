"""Stage 0: download nasbench_only108.tfrecord (or the full file): resumable, SHA-256 checked."""
from __future__ import annotations

import argparse
import sys

from speechnas.nas.nasbench101.download import FILES, DownloadError, fetch


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--dest", required=True, help="where the file goes, e.g. downloads/nasbench_only108.tfrecord")
    p.add_argument("--which", choices=sorted(FILES), default="only108", help="which official file")
    p.add_argument("--timeout", type=float, default=60.0, help="network timeout in seconds")
    args = p.parse_args()
    url, sha256, size = FILES[args.which]
    try:
        path = fetch(url, args.dest, sha256, timeout=args.timeout)
    except DownloadError as e:
        print(f"stage 0: {e}", file=sys.stderr)
        raise SystemExit(1)
    print(f"{path}: ready ({path.stat().st_size:,} bytes, SHA-256 {sha256}; published size about {size})")


if __name__ == "__main__":
    main()
