"""speechnas: TTS-first speech toolkit with neural architecture search (SemiNAS) built in."""
from setuptools import find_packages, setup

setup(
    name="speechnas",
    version="0.1.0",
    description="TTS-first speech toolkit with SemiNAS neural architecture search",
    packages=find_packages(include=["speechnas", "speechnas.*"]),
    package_data={"speechnas.data": ["resources/*.txt", "resources/*.xz"]},
    python_requires=">=3.11.4,<3.12",  # tarfile extractall(filter="data") (stage 0)
    install_requires=[
        "torch==2.11.0",
        "torchaudio==2.11.0",
        "torchvision==0.26.0",
        "numpy",
        "librosa",
        "soundfile",
        "einops",
        "tensorboard",
        "tqdm",
        "PyYAML",
        "matplotlib",
        "espeakng-loader==0.2.4",  # libespeak-ng 1.52 and its data: the offline corpus and phonemes
    ],
    extras_require={"dev": ["pytest"]},
    entry_points={"console_scripts": ["speechnas-synthesize = speechnas.bin.synthesize:main"]},
)
