"""Stage 0: obtain the corpus: render the built-in one (--mini true), check --ljspeech-dir, or download LJSpeech."""
from __future__ import annotations

import logging
import sys

from speechnas.bin._common import data_parser, parse, str2bool
from speechnas.data.corpus import build_mini_corpus
from speechnas.data.download import DownloadError, check_corpus_dir, obtain_ljspeech

log = logging.getLogger("prepare_corpus")


def main() -> None:
    p = data_parser(__doc__)
    p.add_argument("--mini", type=str2bool, default=False, help="render the built-in synthetic corpus")
    p.add_argument("--ljspeech-dir", default="", help="an existing LJSpeech-1.1 folder (no download)")
    p.add_argument("--download-dir", required=True, help="where corpora are downloaded or rendered")
    args, cfg = parse(p)
    if args.mini:
        path = build_mini_corpus(f"{args.download_dir}/mini", cfg.mini.seed, cfg.mini.num_utterances)
    elif args.ljspeech_dir:
        path = check_corpus_dir(args.ljspeech_dir)
    else:
        try:
            path = obtain_ljspeech(args.download_dir)
        except DownloadError as e:
            sys.exit(f"stage 0: {e}")
    log.info("stage 0: corpus ready at %s", path)


if __name__ == "__main__":
    main()
