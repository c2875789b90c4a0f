"""Multiply-adds and parameters of an ImageNet-space architecture, as JSON.

    python -m speechnas.bin.imagenet_flops --arch "6 5 1 7 4 2 5 3 5 2 5 3 3 5 7 3 1 6 3 3 6" --widths final

``--widths`` is a preset (``supernet``, ``final``) or nine comma-separated numbers ``stem,first,s1,...,s6,head``.
``limit`` reports the count the search's limit is on (final widths, 224 x 224, 1000 classes).
"""
from __future__ import annotations

import argparse
import json
import sys

from speechnas.image.flops import CostTable
from speechnas.image.layout import Widths, width_preset
from speechnas.image.space import ImageNetSpace, parse_arch


def parse_widths(text: str) -> Widths:
    if "," not in text:
        return width_preset(text)
    try:
        v = [int(x) for x in text.split(",")]
    except ValueError:
        raise ValueError(f"--widths {text!r}: expected a preset name or 9 comma-separated integers") from None
    if len(v) != 9:
        raise ValueError(f"--widths {text!r}: expected stem,first,s1,s2,s3,s4,s5,s6,head (9 numbers), got {len(v)}")
    return Widths(v[0], v[1], tuple(v[2:8]), v[8])


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--arch", required=True, help="21 op tokens 1..7 (or op names k3e3 ... zero)")
    p.add_argument("--widths", default="final", help="supernet | final | stem,first,s1,...,s6,head")
    p.add_argument("--resolution", type=int, default=224)
    p.add_argument("--num-classes", type=int, default=1000)
    p.add_argument("--limit", type=float, default=600e6, help="the search's multiply-add limit at final widths, 224")
    args = p.parse_args(argv)
    try:
        arch = parse_arch(args.arch)
        widths = parse_widths(args.widths)
        cost = CostTable(widths, args.resolution, args.num_classes).count(arch.ops)
        limited = ImageNetSpace(limit_madds=None).cost(arch)
    except ValueError as e:
        print(f"imagenet_flops: {e}", file=sys.stderr)
        return 2
    print(json.dumps({"arch": str(arch), "widths": args.widths, "resolution": args.resolution,
                      "madds": cost.madds, "params": cost.params, "madds_M": round(cost.madds / 1e6, 2),
                      "params_M": round(cost.params / 1e6, 3), "limit_madds": args.limit,
                      "madds_at_limit_widths": limited.madds, "under_limit": limited.madds < args.limit}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
