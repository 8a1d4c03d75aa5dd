"""Hugging Face checkpoints: the registry, offline-first look-up in TL_COURSE_MODELS and the Keras cache, clear errors.

No test touches the network: a download is replaced by a stand-in, and an offline test fails if one is tried.
"""

import pytest

from tl_course.core import checkpoints, hub_modules

NAME = "all_minilm_l6_v2"
FOLDER = "all-MiniLM-L6-v2"
HUB_PAGE = "https://huggingface.co/sentence-transformers/all-MiniLM-L6-v2"


def _fake_checkpoint(folder, files=("config.json", "model.safetensors", "vocab.txt")):
    """Make `folder` with empty stand-ins of a checkpoint's files; return it."""
    folder.mkdir(parents=True)
    for name in files:
        (folder / name).write_text("{}" if name.endswith(".json") else "")
    return folder


@pytest.fixture
def no_download(monkeypatch):
    """Fail the test if anything asks the Hugging Face Hub for a download."""
    def refuse(name):
        raise AssertionError(f"a download was tried: {name}")

    monkeypatch.setattr(checkpoints, "download", refuse)


@pytest.fixture
def empty_places(tmp_path, monkeypatch):
    """No TL_COURSE_MODELS, an empty Keras cache, offline: `(keras_home,)` to fill."""
    monkeypatch.delenv("TL_COURSE_MODELS", raising=False)
    monkeypatch.setenv("TL_COURSE_OFFLINE", "1")
    monkeypatch.setattr(checkpoints.settings, "keras_home", lambda: tmp_path / "keras")
    return tmp_path / "keras"


def test_registry_holds_the_hugging_face_entries_only():
    entry = checkpoints.get_checkpoint(NAME)
    assert entry["handle"] == "hf://sentence-transformers/all-MiniLM-L6-v2" and entry["folder"] == FOLDER
    assert entry["architecture"] == "bert" and entry["pooling"] == "mean" and entry["license"] == "Apache-2.0"
    assert set(checkpoints.registry()) == {NAME}
    assert NAME not in hub_modules.registry() and "mobilenet_v2_035_224_hub" in hub_modules.registry(), \
        "the TF Hub side of models.json still loads, without the checkpoint"


def test_an_unknown_name_lists_the_known_ones(no_download):
    with pytest.raises(ValueError, match=f"expected one of {NAME}; received 'bert_base'"):
        checkpoints.get_checkpoint("bert_base")
    with pytest.raises(ValueError, match=f"expected one of {NAME}"):
        checkpoints.checkpoint_path("mobilenet_v2_035_224_hub")  # a TF Hub module is no checkpoint


def test_found_in_the_models_setting_with_no_download(tmp_path, monkeypatch, empty_places, no_download):
    folder = _fake_checkpoint(tmp_path / "models" / FOLDER)
    _fake_checkpoint(empty_places / "models" / FOLDER)  # the setting wins over the Keras cache
    monkeypatch.setenv("TL_COURSE_MODELS", str(tmp_path / "models"))
    assert checkpoints.checkpoint_path(NAME) == folder
    assert checkpoints.checkpoint_status(NAME) == (folder, f"found at {folder}")


def test_found_in_the_keras_cache(empty_places, no_download):
    folder = _fake_checkpoint(empty_places / "models" / FOLDER)
    assert checkpoints.checkpoint_path(NAME, allow_download=True) == folder, "found: no download even when allowed"


def test_a_half_copied_folder_is_not_a_checkpoint(tmp_path, monkeypatch, empty_places, no_download):
    folder = _fake_checkpoint(tmp_path / "models" / FOLDER, files=("config.json", "vocab.txt"))
    monkeypatch.setenv("TL_COURSE_MODELS", str(tmp_path / "models"))
    assert checkpoints.checkpoint_status(NAME) == (
        None, f"incomplete: {folder}/ lacks model.safetensors (copy the whole folder again)")
    with pytest.raises(FileNotFoundError, match="lacks model.safetensors"):
        checkpoints.checkpoint_path(NAME)


def test_offline_and_missing_names_the_folder_the_files_and_the_hub_page(tmp_path, monkeypatch, empty_places,
                                                                          no_download):
    monkeypatch.setenv("TL_COURSE_MODELS", str(tmp_path / "models"))
    with pytest.raises(FileNotFoundError, match="is not available offline") as error:
        checkpoints.checkpoint_path(NAME)
    text = str(error.value)
    assert f"a folder {tmp_path / 'models' / FOLDER}/ (or {empty_places / 'models' / FOLDER}/)" in text, text
    assert all(file in text for file in ("config.json", "model.safetensors", "vocab.txt", "tokenizer.json")), text
    assert HUB_PAGE in text and "TL_COURSE_MODELS" in text
    assert not (tmp_path / "models").exists() and not empty_places.exists(), "looking wrote nothing"


def test_unset_models_setting_names_it_and_the_keras_cache(empty_places, no_download):
    with pytest.raises(FileNotFoundError, match=f"\\$TL_COURSE_MODELS/{FOLDER}/ \\(or {empty_places / 'models' / FOLDER}/\\)"):
        checkpoints.checkpoint_path(NAME)
    assert checkpoints.checkpoint_status(NAME) == (
        None, f"missing: expected {empty_places / 'models' / FOLDER}/ holding config.json and model.safetensors")


def test_models_setting_pointing_at_the_checkpoint_itself(tmp_path, monkeypatch, empty_places, no_download):
    folder = _fake_checkpoint(tmp_path / "models" / FOLDER)
    monkeypatch.setenv("TL_COURSE_MODELS", str(folder))
    with pytest.raises(FileNotFoundError, match=f"Set TL_COURSE_MODELS={tmp_path / 'models'}"):
        checkpoints.checkpoint_path(NAME)
    assert "checkpoint folder itself" in checkpoints.checkpoint_status(NAME)[1]


def test_online_downloads_into_the_models_setting_and_a_failure_names_the_folder(tmp_path, monkeypatch,
                                                                                 empty_places):
    import huggingface_hub

    asked = []

    def fake_snapshot_download(repo_id, local_dir):  # the Hub's work: fill local_dir
        asked.append((repo_id, local_dir))
        _fake_checkpoint(tmp_path / "models" / FOLDER)
        return local_dir

    monkeypatch.setenv("TL_COURSE_OFFLINE", "0")
    monkeypatch.setenv("TL_COURSE_MODELS", str(tmp_path / "models"))
    monkeypatch.setattr(huggingface_hub, "snapshot_download", fake_snapshot_download)
    assert checkpoints.checkpoint_path(NAME) == tmp_path / "models" / FOLDER
    assert asked == [("sentence-transformers/all-MiniLM-L6-v2", str(tmp_path / "models" / FOLDER))]
    assert checkpoints.checkpoint_path(NAME) == tmp_path / "models" / FOLDER and len(asked) == 1, "found now"

    def unreachable(repo_id, local_dir):
        raise OSError("network unreachable")

    monkeypatch.setattr(huggingface_hub, "snapshot_download", unreachable)
    monkeypatch.setenv("TL_COURSE_MODELS", str(tmp_path / "elsewhere"))
    with pytest.raises(FileNotFoundError, match=str(tmp_path / "elsewhere" / FOLDER)):
        checkpoints.checkpoint_path(NAME)


def test_download_without_the_models_setting_goes_to_the_keras_cache(monkeypatch, empty_places):
    import huggingface_hub

    asked = []
    monkeypatch.setattr(huggingface_hub, "snapshot_download", lambda repo_id, local_dir: asked.append(local_dir))
    assert checkpoints.download(NAME) == empty_places / "models" / FOLDER
    assert asked == [str(empty_places / "models" / FOLDER)]


def test_the_offline_assets_checkpoint_is_found(minilm_checkpoint, monkeypatch, no_download):
    """Where TL_COURSE_MODELS names the offline assets (.ci/run), the real checkpoint is found as is."""
    monkeypatch.setenv("TL_COURSE_OFFLINE", "1")
    assert checkpoints.checkpoint_path(NAME) == minilm_checkpoint and minilm_checkpoint.name == FOLDER
    needed = ("config.json", "model.safetensors", "vocab.txt", "tokenizer_config.json")
    assert all((minilm_checkpoint / file).is_file() for file in needed)
