import argparse

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


def _command_help(parser: argparse.ArgumentParser) -> dict[str, str]:
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return {action.dest: action.help or "" for action in commands._choices_actions}


def test_the_quick_help_lines_are_the_ones_each_command_registers() -> None:
    everything = _command_help(cli.build_parser())
    assert _command_help(cli.build_parser(set())) == everything
    assert {n: everything[n] for n in cli.COMMAND_HELP} == cli.COMMAND_HELP


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
        "cli.build_parser = lambda *commands: parser\n"
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


def test_the_help_names_the_client_s_default_url() -> None:
    from review.cli.common import NCBI_EUTILS_URL
    from review.entrez import DEFAULT_BASE_URL

    assert NCBI_EUTILS_URL == DEFAULT_BASE_URL


HEAVY = ("lxml", "requests", "rapidfuzz", "rich", "bibtexparser", "rispy", "jinja2", "sklearn")


@pytest.mark.parametrize("argv", [["--help"], ["run", "--help"], ["decisions", "--help"]])
def test_help_imports_no_heavy_module(argv: list[str]) -> None:
    """`review --help` must be quick: the library loads when a command runs, not before."""
    import subprocess
    import sys

    script = (
        "import sys\n"
        "from review.cli import main\n"
        "try:\n"
        f"    main({argv!r})\n"
        "except SystemExit:\n"
        "    pass\n"
        f"print(sorted({{m.split('.')[0] for m in sys.modules}} & {set(HEAVY)!r}))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.splitlines()[-1] == "[]"
