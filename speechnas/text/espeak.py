"""eSpeak NG through its C library (ctypes): speech for the offline corpus and phonemes for ``token_type: phn``.

The library and its data come from the ``espeakng-loader`` wheel (libespeak-ng 1.52, installed with speechnas);
``SPEECHNAS_ESPEAK_LIB`` and ``SPEECHNAS_ESPEAK_DATA`` point to another build (e.g. Debian's ``libespeak-ng.so.1``
and ``/usr/lib/x86_64-linux-gnu/espeak-ng-data``). eSpeak NG keeps one global state per process, so this module
holds one :class:`ESpeakNG` per process (:func:`engine`) and serialises calls with a lock; parallel rendering
uses processes. eSpeak NG is GPL-3.0 software, loaded as a separate shared library.
"""
from __future__ import annotations

import ctypes
import os
import threading
from dataclasses import dataclass

import numpy as np

SAMPLE_RATE = 22050  # eSpeak NG's output rate (checked at start-up)
VOICE = "en-us"

# speak_lib.h constants
_AUDIO_OUTPUT_SYNCHRONOUS = 2
_INITIALIZE_DONT_EXIT = 0x8000
_CHARS_UTF8 = 1
_POS_CHARACTER = 1
_PARAM_RATE, _PARAM_VOLUME, _PARAM_PITCH, _PARAM_RANGE, _PARAM_WORDGAP = 1, 2, 3, 4, 7
_PHONEMES_IPA = 0x02
_CALLBACK = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.c_void_p)


class ESpeakUnavailableError(RuntimeError):
    """The eSpeak NG library or its data cannot be found or started."""


@dataclass(frozen=True)
class Prosody:
    """Voice settings of one rendering: words per minute, base pitch and pitch range (0-100), gap between words
    in units of 10 ms at the default rate, volume (0-200)."""
    rate: int = 175
    pitch: int = 50
    pitch_range: int = 50
    word_gap: int = 0
    volume: int = 100


def _locate() -> tuple[str, str]:
    lib, data = os.environ.get("SPEECHNAS_ESPEAK_LIB"), os.environ.get("SPEECHNAS_ESPEAK_DATA")
    if lib and data:
        return lib, data
    try:
        import espeakng_loader
    except ImportError as e:
        raise ESpeakUnavailableError(
            "eSpeak NG is needed here (the rendered corpus, token_type 'phn'): install speechnas's dependencies "
            "('pip install espeakng-loader'), or set SPEECHNAS_ESPEAK_LIB and SPEECHNAS_ESPEAK_DATA to a "
            "libespeak-ng build and its espeak-ng-data folder") from e
    return lib or espeakng_loader.get_library_path(), data or espeakng_loader.get_data_path()


class ESpeakNG:
    """One initialised eSpeak NG (voice ``en-us``): :meth:`synthesize` and :meth:`phonemes`."""

    def __init__(self, voice: str = VOICE):
        lib_path, data_path = _locate()
        try:
            self._lib = ctypes.CDLL(lib_path)
        except OSError as e:
            raise ESpeakUnavailableError(f"cannot load the eSpeak NG library {lib_path}: {e}") from e
        if not os.path.isdir(data_path):
            raise ESpeakUnavailableError(f"eSpeak NG data folder {data_path} not found")
        lib = self._lib
        lib.espeak_Initialize.restype = ctypes.c_int
        lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
        lib.espeak_Info.restype = ctypes.c_char_p
        lib.espeak_Info.argtypes = [ctypes.c_void_p]
        lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        lib.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
        lib.espeak_Synth.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_uint, ctypes.c_int, ctypes.c_uint,
                                     ctypes.c_uint, ctypes.c_void_p, ctypes.c_void_p]
        lib.espeak_TextToPhonemes.restype = ctypes.c_char_p
        lib.espeak_TextToPhonemes.argtypes = [ctypes.POINTER(ctypes.c_char_p), ctypes.c_int, ctypes.c_int]
        rate = lib.espeak_Initialize(_AUDIO_OUTPUT_SYNCHRONOUS, 0, data_path.encode(), _INITIALIZE_DONT_EXIT)
        if rate != SAMPLE_RATE:
            raise ESpeakUnavailableError(f"eSpeak NG ({lib_path}, data {data_path}) did not start (returned {rate})")
        if lib.espeak_SetVoiceByName(voice.encode()) != 0:
            raise ESpeakUnavailableError(f"eSpeak NG has no voice {voice!r} in {data_path}")
        self.version = lib.espeak_Info(None).decode()
        self.voice = voice
        self._chunks: list[bytes] = []
        self._callback = _CALLBACK(self._collect)  # kept alive as long as the engine
        lib.espeak_SetSynthCallback(self._callback)
        self._lock = threading.Lock()
        self.spoke = False  # whether synthesize ran (its state then differs from a fresh engine's)

    def _collect(self, wav, n, _events) -> int:
        if n > 0:
            self._chunks.append(ctypes.string_at(wav, n * 2))
        return 0

    def synthesize(self, text: str, prosody: Prosody = Prosody()) -> np.ndarray:
        """int16 samples at :data:`SAMPLE_RATE` of ``text`` spoken with ``prosody``.

        The samples depend on what this engine spoke before (eSpeak's wave generator keeps a pitch-flutter phase
        and other state across calls); :func:`synthesize_fresh` gives the same samples for the same arguments.
        """
        data = text.encode("utf-8")
        self.spoke = True
        with self._lock:
            for param, value in ((_PARAM_RATE, prosody.rate), (_PARAM_PITCH, prosody.pitch),
                                 (_PARAM_RANGE, prosody.pitch_range), (_PARAM_WORDGAP, prosody.word_gap),
                                 (_PARAM_VOLUME, prosody.volume)):
                self._lib.espeak_SetParameter(param, int(value), 0)
            self._chunks = []
            err = self._lib.espeak_Synth(data, len(data) + 1, 0, _POS_CHARACTER, 0, _CHARS_UTF8, None, None)
            self._lib.espeak_Synchronize()
            chunks, self._chunks = self._chunks, []
        if err != 0:
            raise RuntimeError(f"eSpeak NG could not synthesize {text[:60]!r} (error {err})")
        return np.frombuffer(b"".join(chunks), dtype=np.int16).copy()

    def phonemes(self, text: str, separator: str = "_") -> list[str]:
        """IPA phonemes of ``text``, one string per clause eSpeak finds, phonemes joined by ``separator`` and words
        by spaces (language-switch marks such as ``(fr)`` are left in; :mod:`speechnas.text.g2p` removes them)."""
        mode = _PHONEMES_IPA | (ord(separator) << 8)
        out = []
        with self._lock:
            buf = ctypes.create_string_buffer(text.encode("utf-8"))  # alive while eSpeak walks through it
            ptr = ctypes.c_char_p(ctypes.addressof(buf))
            while ptr.value:
                res = self._lib.espeak_TextToPhonemes(ctypes.byref(ptr), _CHARS_UTF8, mode)
                out.append(res.decode("utf-8") if res else "")
        return out


def synthesize_fresh(texts: list[str], prosodies: list[Prosody]) -> list[np.ndarray]:
    """Speak ``texts`` one after another in a forked child of this process, whose engine has spoken nothing yet:
    the same arguments give the same samples, whatever this process rendered before and in whatever order.

    This process's engine must never speak itself (it is only initialised here), so every child starts from the
    same state. The child sends the samples back through a pipe and exits.
    """
    espeak = engine()
    if espeak.spoke:
        raise RuntimeError("synthesize_fresh needs an engine that has not spoken: run it in a process that only "
                           "renders through synthesize_fresh")
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # child: speak, send, exit without running the parent's cleanup
        status = 1
        try:
            os.close(read_fd)
            with os.fdopen(write_fd, "wb") as out:
                for text, prosody in zip(texts, prosodies):
                    audio = espeak.synthesize(text, prosody)
                    out.write(len(audio).to_bytes(8, "little"))
                    out.write(audio.tobytes())
            status = 0
        finally:
            os._exit(status)
    os.close(write_fd)
    with os.fdopen(read_fd, "rb") as inp:
        data = inp.read()
    _, status = os.waitpid(pid, 0)
    if status != 0:
        raise RuntimeError(f"eSpeak NG child process failed (status {status}) on {texts[:1]!r}")
    out, pos = [], 0
    for _ in texts:
        n = int.from_bytes(data[pos:pos + 8], "little")
        out.append(np.frombuffer(data, dtype=np.int16, count=n, offset=pos + 8).copy())
        pos += 8 + 2 * n
    return out


_ENGINE: ESpeakNG | None = None


def engine() -> ESpeakNG:
    """This process's eSpeak NG, started on first use (a forked child works on its own copy of the state)."""
    global _ENGINE
    if _ENGINE is None:
        _ENGINE = ESpeakNG()
    return _ENGINE
