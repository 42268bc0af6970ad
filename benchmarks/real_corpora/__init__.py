"""Five small corpora of real recorded and sampled sound, built from Debian packages.

They serve a development benchmark (choosing model defaults on real sound rather than on
generated scenes) and are written into a cache folder outside the repository, never
committed. Each corpus is one to two thousand clips, laid out exactly as one of the project's
loaders reads it, with a split that tests generalisation to unseen sources:

``words`` (``load_audio_folder`` layout, 16 kHz mono, 1 s clips)
    Ten spoken command words (yes, no, up, down, left, right, on, off, stop, go) from the
    ``flite`` synthesiser, whose voices are built from recordings of different speakers:
    awb, kal, kal16 (kal16 is the same speaker as kal, from a 16 kHz recording), rms and
    slt. Each word is spoken 20 times per voice with a random speaking rate
    (``duration_stretch`` 0.8 to 1.3) and mean pitch (``int_f0_target_mean``, 0.85 to 1.2
    times the voice's own), random gain, position in the clip and a little white noise.
    Files are ``words/<word>/<voice>_<word>_<index>.wav``; the group of a clip is the
    file-name prefix before the first underscore (the voice). ``words_split.json``, beside
    the corpus folder, names the voices held out for test (``{"test_groups": [...]}``):
    one male speaker (awb by default), so that training keeps a female voice (slt) and
    the test measures generalisation to a new speaker rather than to a new sex from three
    male speakers.

``voices`` (``load_audio_folder`` layout, 16 kHz mono, 1 s clips)
    The same ten words from 18 voices of 15 speakers, so that a difference between two
    settings on unseen speakers is measured on four speakers rather than one: flite's five
    voices as in ``words`` and 13 of festival's (``festival`` and its ``festvox-*``
    voices): American English ked, kal and slt (kal and slt, other recordings of flite's
    speakers, are the voices kalf and sltf), Italian lp and pc, Finnish lj and mv, Russian
    nsh, Catalan ona and Czech dita, krb (a boy), machac and ph. The non-English voices
    read the English words by their own language's rules, with their accents. Ten clips
    per word and voice; festival's vary by speaking rate (``Duration_Stretch`` 0.8 to 1.3)
    and by a pitch and formant shift (resampled by 0.92 to 1.08), then gain, position and
    noise as in ``words``. ``voices_split.json`` holds out four speakers for test, two male
    and two female from three synthesisers' languages: awb, pc, lj and dita (400 clips;
    1400 for training). Festival's Czech voices do not always give the same samples for the
    same text: two builds with one seed differed in 5 of their 400 clips; every other voice
    is reproduced to the byte.

``drums`` (``load_urbansound8k`` layout, 22050 Hz mono, 1 s clips)
    Drum one-shots from the Hydrogen drum kits (``hydrogen-drumkits``), classified by
    instrument type from the instrument names in each kit's ``drumkit.xml`` (kick, snare,
    hihat_closed, hihat_open, tom, crash, ride, clap; a class is kept when at least half
    the kits have it, and kits with fewer than 4 classes are left out). Every kit and
    class gets 12 clips drawn from its velocity layers and samples, each resampled by a
    random 0.95 to 1.05 pitch factor, with a random gain and onset offset. ``fold`` is a
    group of kits (5 folds, kits dealt in a seeded order), so a test fold holds kits never
    seen in training; ``fsID`` is the kit's index (``drums_kits.json`` beside the corpus
    names the kits), ``start``/``end`` the part of the sample file used, ``salience`` 1.

``notes`` (``load_dcase2020_task1a`` layout, 44100 Hz mono, 2 s clips)
    Single notes of sampled instruments from ``freepats`` (Gravis UltraSound ``.pat``
    patches, read by `gus_patch.read_gus_patch`), in 9 classes by General MIDI family: piano,
    mallet, organ, guitar, bass, strings, brass, reed, pipe. A source is one note: a wave
    of a patch, pitched by resampling to a note within 7 semitones of its root, held 0.9
    to 1.6 s and released. Within each family a third of the patches (at least one) are
    for evaluation only, so test notes come from instruments unseen in training. Devices:
    ``a`` is the clean note; ``b`` and ``c`` simulate recording chains (band-pass, soft
    clipping, coloured noise, gain; ``c`` narrower and noisier); ``d`` a cheap phone (an
    8 kHz codec's band, a steep 300 Hz high-pass, a 10 dB resonance near 1.8 kHz, hard
    limiting, 8-bit mu-law samples, 50 Hz hum and hiss). Training sources are written as
    devices a and b, evaluation sources as a, b, c and d: devices c and d are never seen
    in training. ``identifier`` is the source (shared by its device versions),
    ``scene_label`` the family.

``scenes`` (``load_dcase2020_task1a`` layout, 44100 Hz mono, 5 s clips)
    Acoustic scenes mixed from the sounds of games (``openarena-data``,
    ``warzone2100-data``, ``hedgewars-data``, ``supertux-data``,
    ``extremetuxracer-data``), in 7 classes: industrial, control_room, water, battle,
    vehicles, wilderness, cavern. `scenes.SCENES` names, for each class, its background
    loops (machinery, hums, rain, fire, engines, wind, drones) and the pool of its events
    (welding and hammers, beeps and switches, drops and splashes, explosions and gunfire,
    engine starts, birds and thunder, growls and moans). A clip is a random 5 s stretch of
    one background played as a loop, 0 to 4 events at random onsets and levels (-6 to
    +12 dB against the background) and a random peak (-20 to -3 dBFS). Within each class,
    40 % of the background files and 40 % of the event files (at least one of each) are
    for evaluation only: test clips are mixed from recordings never heard in training.
    Files are ``<scene>-<city>-<location>-<segment>-<device>.wav`` with city ``train`` or
    ``evaluate`` and location the background file's number, so clips sharing a
    background share a location (``identifier`` is ``<city>-<location>``).
    ``scenes_sources.json`` beside the corpus lists the files of each side and the
    background and events of every clip. Devices: ``a`` is the clean mix, ``b`` the mild
    recording chain of the notes corpus, ``c`` the notes corpus's cheap phone (its ``d``);
    training mixes are written as a and b, evaluation mixes as a, b and c.

The packages are fetched with ``apt-get download`` into ``<cache>/debs`` and unpacked with
``dpkg-deb -x`` into ``<cache>/pkgs`` (nothing is installed); both steps are skipped when
done. A corpus is built only when its folder is missing (or with ``--force``), into a
temporary folder renamed at the end, so an interrupted build leaves nothing half-written.
Everything is drawn from ``--seed``.

Usage::

    python -m benchmarks.real_corpora                        # all five, ~/.cache/sklearn-mhr-bench
    python -m benchmarks.real_corpora --only words,notes --force
    python -m benchmarks.real_corpora --cache /data/bench --seed 1

and then, e.g., ``load_audio_folder(cache / "words", sample_rate=16000, duration=1.0)``
(``"voices"`` likewise),
``load_urbansound8k(cache / "drums", duration=1.0)``,
``load_dcase2020_task1a(cache / "notes", duration=2.0)`` or
``load_dcase2020_task1a(cache / "scenes", duration=5.0)``.
"""
