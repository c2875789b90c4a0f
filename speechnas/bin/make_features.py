"""Stage 2: log-mel features (one .npy per utterance), feats.scp/feats_shape per set, tokens.txt, train statistics."""
from __future__ import annotations

import logging
import sys

from speechnas.audio.io import AudioError
from speechnas.bin._common import data_parser, parse
from speechnas.data.kaldi import DataDirError
from speechnas.data.prepare import prepare_features
from speechnas.text.tokens import UnknownSymbolError
from speechnas.utils.device import resolve_device

log = logging.getLogger("make_features")


def main() -> None:
    p = data_parser(__doc__)
    p.add_argument("--data-dir", required=True)
    p.add_argument("--dump-dir", required=True)
    p.add_argument("--prefix", required=True)
    p.add_argument("--corpus", required=True, help="corpus name; settings of one corpus share its feature files")
    p.add_argument("--nj", type=int, default=1, help="parallel processes (CPU)")
    p.add_argument("--ngpu", type=int, default=0, help=">0 extracts on CUDA in one process")
    args, cfg = parse(p)
    try:
        device = str(resolve_device("cuda" if args.ngpu > 0 else "cpu"))
        summary = prepare_features(args.data_dir, args.dump_dir, args.prefix, args.corpus, cfg, args.nj, device,
                                   args.skip_bad)
    except (AudioError, DataDirError, UnknownSymbolError, FileNotFoundError, ValueError, RuntimeError) as e:
        sys.exit(f"stage 2: {e}")
    log.info("stage 2: %s %s", args.prefix, summary)


if __name__ == "__main__":
    main()
