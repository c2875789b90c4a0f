"""Stage 0: obtain the corpus: LJSpeech (--ljspeech-dir or download), LJSpeech read by eSpeak NG (--corpus espeak,
offline; --mini true renders a few hundred short sentences), or the synthetic symbol-by-symbol corpus (--corpus
synthetic, for quick tests)."""
from __future__ import annotations

import logging
import sys
from pathlib import Path

from speechnas.bin._common import data_parser, parse, str2bool
from speechnas.data.corpus import build_mini_corpus
from speechnas.data.download import DownloadError, check_corpus_dir, obtain_ljspeech
from speechnas.data.espeak_corpus import build_espeak_corpus
from speechnas.text.espeak import ESpeakUnavailableError

log = logging.getLogger("prepare_corpus")
CORPORA = ("ljspeech", "espeak", "synthetic")


def main() -> None:
    p = data_parser(__doc__)
    p.add_argument("--corpus", default="ljspeech", choices=CORPORA)
    p.add_argument("--mini", type=str2bool, default=False, help="the small corpus of the mini run (espeak, synthetic)")
    p.add_argument("--ljspeech-dir", default="", help="an existing LJSpeech-1.1 folder (no download)")
    p.add_argument("--out-dir", required=True, help="where the corpus is downloaded or rendered")
    p.add_argument("--nj", type=int, default=1, help="parallel rendering processes (espeak)")
    args, cfg = parse(p)
    try:
        if args.corpus == "espeak":
            path = build_espeak_corpus(args.out_dir, cfg.espeak, args.nj, cfg.mini if args.mini else None)
        elif args.corpus == "synthetic":
            path = build_mini_corpus(args.out_dir, cfg.mini.seed, cfg.mini.num_utterances)
        elif args.mini:
            sys.exit("stage 0: --mini true needs --corpus espeak or synthetic (LJSpeech itself has no mini form)")
        elif args.ljspeech_dir:
            path = check_corpus_dir(args.ljspeech_dir)
        else:  # downloads LJSpeech-1.1.tar.bz2 next to --out-dir (resumable) and extracts it there
            out = Path(args.out_dir)
            if out.name != "LJSpeech-1.1":
                sys.exit(f"stage 0: the LJSpeech download extracts into a folder named LJSpeech-1.1, not {out}")
            path = obtain_ljspeech(out.parent)
    except (DownloadError, ESpeakUnavailableError) as e:
        sys.exit(f"stage 0: {e}")
    log.info("stage 0: corpus ready at %s", path)


if __name__ == "__main__":
    main()
