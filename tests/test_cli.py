import pytest

from review import __version__, cli, errors


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        cli.main(["--version"])
    assert info.value.code == 0
    assert capsys.readouterr().out.strip() == f"review {__version__}"


def test_every_command_module_registers() -> None:
    parser = cli.build_parser()
    help_text = parser.format_help()
    for name in cli.COMMAND_MODULES:
        assert name in help_text


def test_errors_all_lists_every_public_class() -> None:
    public = {n for n, v in vars(errors).items() if isinstance(v, type) and n[0] != "_"}
    classes = {n for n in errors.__all__ if isinstance(getattr(errors, n), type)}
    assert classes == public
    assert all(issubclass(getattr(errors, n), errors.ReviewError) for n in classes)
    assert set(errors.__all__) - classes == {"os_error_advice"}


def test_closed_pipe_ends_quietly() -> None:
    """`review ... | head` must not end in a BrokenPipeError traceback."""
    import subprocess
    import sys

    script = (
        "import argparse, sys\n"
        "from review import cli\n"
        "def flood(options):\n"
        "    for _ in range(100_000):\n"
        "        print('x' * 80)\n"
        "    return 0\n"
        "parser = argparse.ArgumentParser()\n"
        "parser.set_defaults(handler=flood)\n"
        "cli.build_parser = lambda: parser\n"
        "sys.exit(cli.main([]))\n"
    )
    with subprocess.Popen(
        [sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    ) as process:
        assert process.stdout is not None and process.stderr is not None
        process.stdout.read(100)
        process.stdout.close()
        stderr = process.stderr.read().decode()
        assert process.wait(timeout=60) == 0
    assert "Traceback" not in stderr


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["frobnicate"], "Error: review: argument COMMAND: invalid choice: 'frobnicate'"),
        (["search"], "Error: review search: the following arguments are required: protocol"),
        (["search", "p.toml", "--batch-size", "0"], "Error: review search: argument --batch-size"),
        (["convert", "a.ris"], "Error: review convert: the following arguments are required: -o"),
        (["decisions", "kappa", "p.toml"], "Error: review decisions kappa: the following"),
        (["decisions", "undo", "p.toml", "1", "--stage", "x"], "Error: review decisions undo: "),
        (["run", "p.toml", "--live", "--offline"], "Error: review run: argument --offline"),
        (["screen", "p.toml", "--bogus"], "Error: review: unrecognized arguments: --bogus"),
    ],
)
def test_argument_mistakes_are_one_error_line_and_exit_1(
    argv: list[str], expected: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """The README promises `Error: …` and exit 1 for bad input; argparse says exit 2."""
    with pytest.raises(SystemExit) as info:
        cli.main(argv)
    assert info.value.code == 1
    err = capsys.readouterr().err
    assert err.startswith(expected)
    assert err.count("\n") == 1
    assert "--help`." in err


def test_help_still_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        cli.main(["run", "--help"])
    assert info.value.code == 0
    assert capsys.readouterr().out.startswith("usage: review run")
