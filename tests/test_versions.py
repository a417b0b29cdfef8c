"""Google Colab's versions (constraints-colab.txt): the requirement files admit every one of them.

Installing requirements.txt in Colab must change none of the packages Colab ships: every range
must include Colab's version. `make test-colab` also checks it for real, on an environment holding
exactly Colab's versions, with this file as a script:

    pip install --dry-run --report REPORT.json -r requirements.txt
    python tests/test_versions.py REPORT.json    # fails if the install would change a package
"""

import json
import os
import sys
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]
CONSTRAINTS = ROOT / "constraints-colab.txt"


def requirement_lines(path):
    """The requirement strings of a pip requirements file, following its `-r` includes."""
    path = Path(path)
    for line in path.read_text().splitlines():
        line = line.split(" #")[0].strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith(("-r ", "--requirement ")):
            yield from requirement_lines(path.parent / line.split(maxsplit=1)[1])
        elif line.startswith("-"):
            raise ValueError(f"{path.name}: option not understood here: {line}")
        else:
            yield line


def requirements(path):
    """The requirements of a file that apply to this Python and platform."""
    parsed = [Requirement(line) for line in requirement_lines(path)]
    return [req for req in parsed if req.marker is None or req.marker.evaluate()]


def pinned_versions(path=CONSTRAINTS):
    """{canonical name: Version} of a constraints file that pins each package with `==`."""
    pins = {}
    for req in requirements(path):
        (spec,) = req.specifier  # Exactly one specifier...
        assert spec.operator == "==" and "*" not in spec.version, f"not an exact pin: {req}"  # ...an exact one.
        name = canonicalize_name(req.name)
        assert name not in pins, f"pinned twice: {req.name}"
        pins[name] = Version(spec.version)
    return pins


def excluded(reqs, pins):
    """The requirements whose range leaves out the pinned version of their package."""
    return [f"{req} excludes {pins[canonicalize_name(req.name)]}" for req in reqs
            if canonicalize_name(req.name) in pins
            and not req.specifier.contains(pins[canonicalize_name(req.name)], prereleases=True)]


def changed(report, installed):
    """What a `pip install --report` would change among installed ({canonical name: version string})."""
    changes = []
    for item in report["install"]:
        name, version = canonicalize_name(item["metadata"]["name"]), item["metadata"]["version"]
        if name in installed and Version(installed[name]) != Version(version):
            changes.append(f"{name} {installed[name]} -> {version}")
    return changes


def test_constraints_pin_each_package_once_to_an_exact_version():
    pins = pinned_versions()
    for name in ("tensorflow", "keras", "numpy", "pillow", "ipykernel", "jupyter-client", "notebook"):
        assert name in pins


def test_requirements_admit_colabs_versions():
    pins = pinned_versions()
    for name in ("requirements.txt", "requirements-dev.txt"):
        assert excluded(requirements(ROOT / name), pins) == [], name


def test_requirements_hold_only_ranges_the_notebook_can_meet_in_colab():
    """Every package of Colab's that requirements.txt names is one Colab ships at an admitted version."""
    names = {canonicalize_name(req.name) for req in requirements(ROOT / "requirements.txt")}
    assert {"tensorflow", "keras", "numpy", "pillow", "ipykernel"} <= names
    assert names - set(pinned_versions()) <= {"ai-edge-litert", "papermill"}, "a package Colab lacks"


def test_a_range_above_colabs_version_is_caught():
    pins = {"ipykernel": Version("6.17.1"), "numpy": Version("2.1.3")}
    reqs = [Requirement("ipykernel>=6.29"), Requirement("numpy>=1.26,<3"), Requirement("papermill>=2.6")]
    assert excluded(reqs, pins) == ["ipykernel>=6.29 excludes 6.17.1"]


def test_an_upgrade_in_a_pip_report_is_caught():
    report = {"install": [{"metadata": {"name": "Notebook", "version": "7.6.5"}},
                          {"metadata": {"name": "ai_edge_litert", "version": "2.3.0"}},
                          {"metadata": {"name": "jupyter_client", "version": "7.4.9"}}]}
    installed = {"notebook": "6.5.7", "jupyter-client": "7.4.9", "numpy": "2.1.3"}
    assert changed(report, installed) == ["notebook 6.5.7 -> 7.6.5"]


def test_environment_holds_the_constrained_versions():
    """Under `make test-colab` (TEST_CONSTRAINTS set): the tests really run on Colab's versions."""
    name = os.environ.get("TEST_CONSTRAINTS")
    if not name:
        import pytest

        pytest.skip("TEST_CONSTRAINTS not set: not the Colab-versions environment")
    wrong = [f"{package} {metadata.version(package)} != {version}"
             for package, version in pinned_versions(ROOT / name).items()
             if Version(metadata.version(package)) != version]
    assert wrong == []


def test_colabs_versions_run_on_colabs_python():
    """Under `make test-colab`: Python 3.13, as in Colab (the Makefile's COLAB_PYTHON)."""
    if not os.environ.get("TEST_CONSTRAINTS"):
        import pytest

        pytest.skip("TEST_CONSTRAINTS not set: not the Colab-versions environment")
    assert sys.version_info[:2] == (3, 13), sys.version


def main(report_path):
    """Check a dry-run report of installing requirements.txt into this environment; exit 1 on a change."""
    report = json.loads(Path(report_path).read_text())
    installed = {canonicalize_name(dist.metadata["Name"]): dist.version for dist in metadata.distributions()}
    changes = changed(report, installed)
    added = sorted(f"{item['metadata']['name']} {item['metadata']['version']}" for item in report["install"]
                   if canonicalize_name(item["metadata"]["name"]) not in installed)
    print(f"Installing requirements.txt over Colab's versions adds {len(added)} packages: {', '.join(added)}")
    if changes:
        print("and CHANGES packages Colab ships:", *changes, sep="\n  ")
        return 1
    print("and changes none of the packages already installed.")
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
