import io
import logging

from workflow_scripts.progress import progress


class Terminal(io.StringIO):
    def isatty(self):
        return True


def test_log_lines_every_few_percent_when_not_a_terminal(caplog):
    with caplog.at_level(logging.INFO, logger="workflow_scripts.progress"):
        bar = progress(total=200, desc="train", unit="step", stream=io.StringIO())
        for _ in range(200):
            bar.update(1)
        bar.close()
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 10  # one per 10 %, no carriage-return spam
    assert lines[0].startswith("train:  10% 20/200 step") and lines[-1].startswith(
        "train: 100% 200/200"
    )
    assert all("\r" not in line for line in lines)


def test_iterating_logs_and_yields_everything(caplog):
    with caplog.at_level(logging.INFO, logger="workflow_scripts.progress"):
        items = list(
            progress(
                range(7), desc="extract", unit="checkpoint", stream=io.StringIO(), every_percent=50
            )
        )
    assert items == list(range(7))
    assert [r.getMessage().split()[1] for r in caplog.records] == ["57%", "100%"]


def test_a_terminal_gets_a_tqdm_bar():
    stream = Terminal()
    bar = progress(total=5, desc="train", stream=stream)
    bar.update(5)
    bar.close()
    assert "train" in stream.getvalue() and "5/5" in stream.getvalue()


def test_disabled_progress_is_silent(caplog):
    with caplog.at_level(logging.INFO, logger="workflow_scripts.progress"):
        assert list(progress(range(3), enabled=False)) == [0, 1, 2]
    assert not caplog.records
