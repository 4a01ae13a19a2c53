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
    assert set(errors.__all__) == public
    assert all(issubclass(getattr(errors, n), errors.ReviewError) for n in errors.__all__)
