"""Progress bars for anything in the CLI that takes more than a few seconds."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

# advance(description, completed, total): the callback the package's long steps accept.
ProgressCallback = Callable[[str, int, int], None]


@contextmanager
def progress_bar(title: str, disable: bool = False) -> Iterator[ProgressCallback]:
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        disable=disable,
        transient=False,
    ) as progress:
        task = progress.add_task(title, total=None)

        def advance(description: str, completed: int, total: int) -> None:
            progress.update(task, description=f"{title}: {description}", completed=completed, total=total)

        yield advance


def no_progress(description: str, completed: int, total: int) -> None:
    """The default callback: report nothing."""
