"""The names Restore sets the user's models aside under: new each time, newest found first."""

from __future__ import annotations

from pathlib import Path

from ocrpad.app.train import model_files
from ocrpad.app.train.model_files import newest_set_aside, set_aside, set_aside_models


def test_models_set_aside_within_one_second_get_names_of_their_own_in_order(
    tmp_path: Path,
) -> None:
    user_model = tmp_path / "user-model.npz"
    made = []
    for content in (b"A", b"B", b"C"):
        user_model.write_bytes(content)
        made.append(set_aside(user_model))
    assert not user_model.exists() and len(set(made)) == 3
    assert [p.read_bytes() for p in set_aside_models(user_model)] == [b"A", b"B", b"C"]
    assert newest_set_aside(user_model) == made[-1]


def test_the_earlier_versions_previous_model_counts_as_the_oldest(tmp_path: Path) -> None:
    user_model = tmp_path / "user-model.npz"
    assert newest_set_aside(user_model) is None
    earlier = tmp_path / "user-model.previous.npz"
    earlier.write_bytes(b"old")
    assert newest_set_aside(user_model) == earlier
    (tmp_path / "user-model.set-aside-notes.npz").write_bytes(b"not ours")  # no time: left out
    newer = model_files.set_aside_name(user_model, "20260101-120000", 2)
    newer.write_bytes(b"new")
    model_files.set_aside_name(user_model, "20260101-120000").write_bytes(b"first")
    assert set_aside_models(user_model) == [
        earlier,
        model_files.set_aside_name(user_model, "20260101-120000"),
        newer,
    ]
