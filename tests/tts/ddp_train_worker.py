"""Run under torchrun: each rank trains the supernet on its own batches with the Trainer (DDP, gloo);
every rank then saves its parameters so the test can check that they stayed identical."""
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).parent))
from tts_testdata import VOCAB_SIZE, random_batch  # noqa: E402

from speechnas.tts.model.arch import TTSSearchSpace  # noqa: E402
from speechnas.tts.model.backbone import TTSModelConfig  # noqa: E402
from speechnas.tts.model.supernet import ArchSampler, SuperNet  # noqa: E402
from speechnas.tts.training.trainer import Trainer, TrainConfig  # noqa: E402
from speechnas.utils.distributed import cleanup, init_distributed  # noqa: E402


def main(out_dir: str) -> None:
    info = init_distributed("cpu")
    torch.set_num_threads(1)
    torch.manual_seed(0)
    model = SuperNet(TTSModelConfig(vocab_size=VOCAB_SIZE, hidden_size=16, prenet_size=8, encoder_layers=2,
                                    decoder_layers=2))
    data = [random_batch([6, 4], [9, 7], seed=10 * info.rank + i) for i in range(2)]
    cfg = TrainConfig(lr=1e-3, warmup_steps=2, max_steps=4, log_every=2, image_every=0, save_every=2, device="cpu")
    trainer = Trainer(model, cfg, Path(out_dir) / "exp", arch_sampler=ArchSampler(TTSSearchSpace(2, 2), seed=3))
    result = trainer.train(data)
    torch.save({"state": model.state_dict(), "result": result, "world": info.world_size},
               Path(out_dir) / f"rank{info.rank}.pt")
    cleanup()


if __name__ == "__main__":
    main(sys.argv[1])
