"""Stage 1: Kaldi-style data directories <data>/<prefix>_{train,dev,eval} for a setting, with the split recorded."""
from __future__ import annotations

import logging
import sys

from speechnas.bin._common import data_parser, parse, str2bool
from speechnas.data.kaldi import DataDirError
from speechnas.data.ljspeech import CorpusError
from speechnas.data.prepare import prepare_data
from speechnas.data.splits import SETTINGS

log = logging.getLogger("prepare_data")


def main() -> None:
    p = data_parser(__doc__)
    p.add_argument("--corpus-dir", required=True, help="LJSpeech-layout folder (metadata.csv, wavs/)")
    p.add_argument("--data-dir", required=True, help="where the data directories go")
    p.add_argument("--prefix", required=True, help="name prefix of the data directories")
    p.add_argument("--setting", required=True, choices=SETTINGS)
    p.add_argument("--mini", type=str2bool, default=False, help="the corpus is the built-in one (scaled splits)")
    args, cfg = parse(p)
    try:
        result = prepare_data(args.corpus_dir, args.data_dir, args.prefix, args.setting, cfg, args.mini, args.skip_bad)
    except (CorpusError, DataDirError, FileNotFoundError) as e:
        sys.exit(f"stage 1: {e}")
    log.info("stage 1: %s sizes %s, %d skipped", args.prefix, result["sizes"], result["skipped"])


if __name__ == "__main__":
    main()
