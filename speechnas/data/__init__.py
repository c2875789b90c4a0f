"""TTS data layer: built-in corpus, LJSpeech reading, Kaldi data dirs, splits, feature jobs, datasets and samplers."""
from speechnas.data.dataset import TTSDataset, collate_tts, padding_mask
from speechnas.data.normalizer import FeatureNormalizer
from speechnas.data.sampler import BucketBatchSampler, DistributedBucketSampler, bucket_batches

__all__ = ["BucketBatchSampler", "DistributedBucketSampler", "FeatureNormalizer", "TTSDataset", "bucket_batches",
           "collate_tts", "padding_mask"]
