"""The validate configuration file and its settings.

Modules: guestbook.validate.configuration and guestbook.validate.settings.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from guestbook.errors import GuestbookError
from guestbook.validate.config_file import CONFIG_FILE, find_config
from guestbook.validate.configuration import ValidateConfig, load_config, resolve
from guestbook.validate.model import Finding, Severity
from guestbook.validate.pipeline import validate
from guestbook.validate.settings import ValidateSettings

RULES_FIXTURES = Path(__file__).parent / "fixtures" / "rules"


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_every_key_is_read_from_the_standalone_file(tmp_path: Path) -> None:
    # Given a .guestbook-validate.yaml using every key
    config = write(
        tmp_path / CONFIG_FILE,
        "kubernetes-version: 1.33.13\n"
        "fail-on: warning\n"
        "crds: [crds/]\n"
        "exclude: ['vendor']\n"
        "disable: [image-digest]\n"
        "severity: {pdb-missing: error}\n"
        "complete: ['apps/*']\n",
    )
    # When it is found and read
    assert find_config(tmp_path) == config
    loaded = load_config(config)
    # Then each key has its value
    assert loaded == ValidateConfig(
        kubernetes_version="1.33.13",
        fail_on="warning",
        crds=["crds/"],
        exclude=["vendor"],
        disable=["image-digest"],
        severity={"pdb-missing": "error"},
        complete=["apps/*"],
    )


def test_the_pyproject_table_is_read_when_present(tmp_path: Path) -> None:
    project = write(
        tmp_path / "pyproject.toml",
        '[project]\nname = "x"\n\n[tool.guestbook.validate]\ncomplete = ["dist"]\n',
    )
    assert find_config(tmp_path) == project
    assert load_config(project).complete == ["dist"]


def test_a_pyproject_without_the_table_is_no_configuration(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", '[project]\nname = "x"\n')
    assert find_config(tmp_path) is None


def test_two_configurations_are_refused(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", "[tool.guestbook.validate]\ndisable = []\n")
    write(tmp_path / CONFIG_FILE, "disable: []\n")
    with pytest.raises(GuestbookError, match="both configure guestbook validate; keep one"):
        find_config(tmp_path)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("complet: [dist]\n", ":1: complet: unknown key 'complet' (did you mean 'complete'?)"),
        ("fail-on: info\n", "fail-on: found 'info' (string), expected one of 'error' or 'warning'"),
        (
            "disable: [image-tags]\n",
            "disable: unknown rule 'image-tags'; did you mean 'image-tag'?",
        ),
        (
            "severity: {pdb-misisng: error}\n",
            "severity: unknown rule 'pdb-misisng'; did you mean 'pdb-missing'?",
        ),
        ("- a\n", "found a list at the top level, expected a mapping of keys"),
    ],
)
def test_mistakes_name_the_file_key_and_the_closest_choice(
    tmp_path: Path, text: str, message: str
) -> None:
    # Given a configuration file with one mistake
    config = write(tmp_path / CONFIG_FILE, text)
    # When it is read, Then the error names the file, the key and what was expected
    with pytest.raises(GuestbookError) as caught:
        load_config(config)
    assert str(config) in str(caught.value)
    assert message in str(caught.value)


def test_an_unknown_key_in_the_pyproject_table_suggests_the_closest(tmp_path: Path) -> None:
    project = write(tmp_path / "pyproject.toml", '[tool.guestbook.validate]\nexclud = ["x"]\n')
    with pytest.raises(GuestbookError, match=r"\[tool.guestbook.validate\]: exclud: unknown key"):
        load_config(project)


def test_disable_and_severity_change_only_their_rules() -> None:
    # Given settings disabling one rule and raising another
    settings = ValidateSettings(
        disable=frozenset({"image-tag"}), severity={"pdb-missing": Severity.ERROR}
    )
    findings = [
        Finding("image-tag", Severity.WARNING, "m", Path("a.yaml"), 1),
        Finding("pdb-missing", Severity.WARNING, "m", Path("a.yaml"), 2),
        Finding("schema", Severity.ERROR, "m", Path("a.yaml"), 3),
    ]
    # When they are applied
    adjusted = settings.adjust(findings)
    # Then the disabled rule is gone, the override applies, the rest is untouched
    assert [(f.rule, f.severity) for f in adjusted] == [
        ("pdb-missing", Severity.ERROR),
        ("schema", Severity.ERROR),
    ]


def test_exclude_matches_paths_and_folders_relative_to_the_file(tmp_path: Path) -> None:
    settings = resolve(ValidateConfig(exclude=["vendor", "*.tmpl.yaml"]), tmp_path)
    assert settings.excluded(tmp_path / "vendor" / "x" / "a.yaml")
    assert settings.excluded(tmp_path / "b.tmpl.yaml")
    assert not settings.excluded(tmp_path / "apps" / "a.yaml")
    assert not settings.excluded(Path("/elsewhere/vendor/a.yaml"))


def _folders(tmp_path: Path) -> tuple[Path, Path, Path]:
    service = (RULES_FIXTURES / "service_selecting_no_pod.yaml").read_text(encoding="utf-8")
    first = write(tmp_path / "apps" / "shop" / "service.yaml", service)
    second = write(tmp_path / "apps" / "shop" / "other.yaml", "")
    elsewhere = write(tmp_path / "misc" / "service.yaml", service)
    return first, second, elsewhere


def test_a_folder_declared_complete_counts_only_when_all_of_it_is_validated(
    tmp_path: Path,
) -> None:
    # Given apps/* declared complete, and a folder outside it
    first, second, elsewhere = _folders(tmp_path)
    settings = resolve(ValidateConfig(complete=["apps/*"]), tmp_path)
    assert settings.complete_folders == ((tmp_path / "apps" / "shop").resolve(),)

    def listing(folder: Path) -> list[Path]:
        return sorted(folder.rglob("*.yaml"))

    # When every file of apps/shop is validated, Then its files are complete, the others not
    whole = settings.completeness([first, second, elsewhere], listing)
    assert whole(first) and whole(second) and not whole(elsewhere)
    # When only one file of apps/shop is validated, Then it is not complete
    part = settings.completeness([first], listing)
    assert not part(first)


def test_the_pipeline_reports_errors_only_in_the_folder_declared_complete(tmp_path: Path) -> None:
    # Given the same broken Service in a complete folder and in another one
    first, _, elsewhere = _folders(tmp_path)
    settings = resolve(ValidateConfig(complete=["apps/*"]), tmp_path)
    # When the whole tree is validated with the rules only
    report = validate([tmp_path], schema=False, settings=settings)
    severities = {
        f.path.resolve(): f.severity for f in report.findings if f.rule == "service-selects-nothing"
    }
    # Then only the complete folder's finding is an error
    assert severities == {first.resolve(): Severity.ERROR, elsewhere.resolve(): Severity.WARNING}


def test_excluded_files_are_not_read(tmp_path: Path) -> None:
    first, _, elsewhere = _folders(tmp_path)
    settings = resolve(ValidateConfig(exclude=["misc"]), tmp_path)
    report = validate([tmp_path], schema=False, settings=settings)
    assert elsewhere.resolve() not in {p.resolve() for p in report.paths}
    assert first.resolve() in {p.resolve() for p in report.paths}


DOC = Path(__file__).parents[1] / "docs" / "validate-configuration.md"


@pytest.mark.parametrize(("language", "name"), [("toml", "pyproject.toml"), ("yaml", CONFIG_FILE)])
def test_the_documented_examples_are_valid_configurations(
    tmp_path: Path, language: str, name: str
) -> None:
    # Given the configuration examples of docs/validate-configuration.md
    text = DOC.read_text(encoding="utf-8")
    example = text.split(f"```{language}\n", 1)[1].split("```", 1)[0]
    # When one is read, Then it is accepted
    config = load_config(write(tmp_path / name, example))
    assert config.severity == {"pdb-missing": "error"}


def test_a_complete_folder_that_does_not_exist_is_refused(tmp_path: Path) -> None:
    with pytest.raises(GuestbookError, match="complete: 'deploy' is not a folder"):
        resolve(ValidateConfig(complete=["deploy"]), tmp_path)


def test_the_cache_key_turns_the_verdict_cache_off_and_no_cache_wins(tmp_path: Path) -> None:
    # Given no key, Then the cache is on
    assert resolve(ValidateConfig(), tmp_path).cache
    # Given cache = false, Then it is off
    project = write(tmp_path / "pyproject.toml", "[tool.guestbook.validate]\ncache = false\n")
    assert not resolve(load_config(project), tmp_path).cache
    # Given cache = true and --no-cache, Then the flag wins
    assert not resolve(ValidateConfig(cache=True), tmp_path, cache=False).cache
    # Given a value that is not a boolean, Then the file and key are named
    with pytest.raises(GuestbookError, match=r"cache"):
        load_config(write(tmp_path / CONFIG_FILE, "cache: sometimes\n"))


@pytest.mark.parametrize("complete", [False, True])
@pytest.mark.parametrize("cache", [False, True])
def test_no_configuration_file_gives_what_an_empty_configuration_resolves_to(
    complete: bool, cache: bool
) -> None:
    # Given no configuration file (validate then never loads the configuration model)
    empty = resolve(ValidateConfig(), Path(), complete=complete, cache=cache)
    # Then the settings it uses are those of an empty configuration
    assert ValidateSettings(complete=complete, cache=cache) == empty
    assert ValidateConfig().kubernetes_version is None
    assert ValidateConfig().fail_on is None
