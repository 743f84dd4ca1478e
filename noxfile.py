"""Single entry point for every job of the rc monorepo.

``python3 -m nox`` runs the main job (build the bundled example and check it in
RETURNN); ``python3 -m nox -s lint typecheck tests docs summary`` runs every check.
Each package is tested in its own virtualenv holding only its declared
dependencies, so a missing dependency declaration fails its tests.
"""

from __future__ import annotations

import os
import pathlib
import shutil
import xml.etree.ElementTree as ET

import nox

nox.options.default_venv_backend = "uv|virtualenv"
nox.options.sessions = ["main"]
nox.options.reuse_existing_virtualenvs = False

ROOT = pathlib.Path(__file__).parent
REPORTS = ROOT / ".reports"

# Each package with the siblings it depends on (installed from the repo in the
# same command, since the siblings are not on PyPI).
PACKAGES: dict[str, list[str]] = {
    "rc-naming": ["rc-naming"],
    "rc-nn": ["rc-naming", "rc-nn"],
    "rc-serialize": ["rc-naming", "rc-nn", "rc-serialize"],
}
QUIET_TF = {"TF_CPP_MIN_LOG_LEVEL": "2", "PYTHONWARNINGS": "ignore::DeprecationWarning"}


def _pkg_dir(name: str) -> pathlib.Path:
    return ROOT / "packages" / name


def _test_group(name: str) -> list[str]:
    return list(
        nox.project.dependency_groups(
            nox.project.load_toml(_pkg_dir(name) / "pyproject.toml"), "test"
        )
    )


def _install_package(session: nox.Session, name: str, *, with_tests: bool = True) -> None:
    dirs = [str(_pkg_dir(dep)) for dep in PACKAGES[name]]
    extra = _test_group(name) if with_tests else []
    session.install(*dirs, *extra)


@nox.session
@nox.parametrize("package", list(PACKAGES))
def tests(session: nox.Session, package: str) -> None:
    """Run one package's tests in a virtualenv holding only that package's dependencies."""
    _install_package(session, package)
    REPORTS.mkdir(exist_ok=True)
    report = REPORTS / f"tests-{package}.xml"
    report.unlink(missing_ok=True)
    session.run(
        "pytest",
        str(_pkg_dir(package) / "tests"),
        # The docstring examples of the installed package are tests too.
        "--doctest-modules",
        "--pyargs",
        package.replace("-", "_"),
        "--ignore-glob=*__main__.py",
        # RETURNN's PyTorch backend has its own session (tests_torch): torch is big.
        "-m",
        "not torch",
        f"--junitxml={report}",
        "-p",
        "no:cacheprovider",
        *session.posargs,
        env={**QUIET_TF, "HYPOTHESIS_STORAGE_DIRECTORY": str(ROOT / ".hypothesis")},
    )


#: The PyTorch pin: pip takes this machine's CPU wheel (/opt/wheels) for it; uv or an
#: unpinned torch would download the CUDA build (GBs).
TORCH = "torch==2.13.0"


@nox.session(venv_backend="venv")
def tests_torch(session: nox.Session) -> None:
    """rc-serialize's tests marked ``torch``: the torch backend's configs in RETURNN.

    Installed with pip (``venv`` backend): the packages with rc-serialize's ``torch`` extra
    (``torch==2.13.0``), its test group (TensorFlow and dm-tree: the comparison with the
    TF config; RETURNN does not declare dm-tree).
    """
    serialize = _pkg_dir("rc-serialize")
    session.install(
        str(_pkg_dir("rc-naming")),
        str(_pkg_dir("rc-nn")),
        f"{serialize}[torch]",
        *_test_group("rc-serialize"),
        TORCH,
    )
    REPORTS.mkdir(exist_ok=True)
    report = REPORTS / "tests-torch.xml"
    report.unlink(missing_ok=True)
    session.run(
        "pytest",
        str(serialize / "tests"),
        "-m",
        "torch",
        f"--junitxml={report}",
        "-p",
        "no:cacheprovider",
        *session.posargs,
        env={**QUIET_TF, "HYPOTHESIS_STORAGE_DIRECTORY": str(ROOT / ".hypothesis")},
    )


@nox.session(venv_backend="none")
def summary(session: nox.Session) -> None:
    """Add up the test reports of all packages into one closing line."""
    totals = {"passed": 0, "failed": 0, "skipped": 0}
    missing = []
    # The torch tests' report counts when that session ran (the CI command runs it).
    torch_report = ["torch"] if (REPORTS / "tests-torch.xml").exists() else []
    for package in [*PACKAGES, *torch_report]:
        report = REPORTS / f"tests-{package}.xml"
        if not report.exists():
            missing.append(package)
            continue
        for suite in ET.parse(report).getroot().iter("testsuite"):
            tests_, failures, errors, skipped = (
                int(suite.get(key, "0")) for key in ("tests", "failures", "errors", "skipped")
            )
            totals["failed"] += failures + errors
            totals["skipped"] += skipped
            totals["passed"] += tests_ - failures - errors - skipped
    if missing:
        totals["failed"] += len(missing)
        session.warn(f"no test report for: {', '.join(missing)} (counted as failed)")
    print(
        f"all packages: {totals['passed']} passed, {totals['failed']} failed, {totals['skipped']} skipped"
    )
    if totals["failed"]:
        session.error("some tests failed")


@nox.session
def lint(session: nox.Session) -> None:
    """ruff check and ruff format --check over the whole repository."""
    session.install("ruff")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session
@nox.parametrize("package", list(PACKAGES))
def typecheck(session: nox.Session, package: str) -> None:
    """mypy --strict on one package's source."""
    _install_package(session, package, with_tests=False)
    session.install("mypy", "types-networkx")
    import_name = package.replace("-", "_")
    session.run("mypy", "--strict", str(_pkg_dir(package) / "src" / import_name))


@nox.session
def docs(session: nox.Session) -> None:
    """Build the documentation site (Sphinx; warnings are errors) into .reports/docs.

    First checks that every docstring uses numpydoc sections (tools/numpydoc_sections.py
    --check). The packages are installed without their test dependencies, so TensorFlow is not
    there: the API reference is made without importing it. Every build starts from scratch.
    """
    # Docstrings in numpydoc form; else: `python tools/numpydoc_sections.py` rewrites them.
    session.run("python", str(ROOT / "tools" / "numpydoc_sections.py"), "--check")
    session.install(*(str(_pkg_dir(name)) for name in PACKAGES))
    session.install("-r", str(ROOT / "docs" / "requirements.txt"))
    out, doctrees = REPORTS / "docs", REPORTS / "docs-doctrees"
    for generated in (out, doctrees, ROOT / "docs" / "api"):
        shutil.rmtree(generated, ignore_errors=True)
    session.run(
        "sphinx-build",
        "-W",
        "--keep-going",
        "-b",
        "html",
        "-q",
        "-j",
        "auto",
        "-d",
        str(doctrees),
        str(ROOT / "docs"),
        str(out),
        *session.posargs,
        env={"PYTHONHASHSEED": "0"},
    )
    print(f"docs: {out / 'index.html'}")


@nox.session
def main(session: nox.Session) -> None:
    """The main job: build the bundled example model and check its config in RETURNN."""
    _install_package(session, "rc-serialize")
    out = ROOT / ".reports" / "example.config.py"
    out.parent.mkdir(exist_ok=True)
    session.run(
        "rc-serialize", "build", "-o", str(out), "--check", "--train-steps", "3", env=QUIET_TF
    )


@nox.session
def bench(session: nox.Session) -> None:
    """Benchmarks: naming resolution, build + serialize scaling, RETURNN construction."""
    _install_package(session, "rc-serialize")
    session.install("matplotlib")
    env = {**QUIET_TF, "PYTHONHASHSEED": "0"}
    session.run("python", str(ROOT / "bench" / "run.py"), *session.posargs, env=env)


@nox.session
def bench_compare(session: nox.Session) -> None:
    """Build + serialize time of this tree against a base commit, side by side.

    ``nox -s bench_compare -- --base REV [--repeats N]``: see ``bench/compare.py``.
    """
    _install_package(session, "rc-serialize", with_tests=False)
    env = {**QUIET_TF, "PYTHONHASHSEED": "0"}
    session.run("python", str(ROOT / "bench" / "compare.py"), *session.posargs, env=env)


@nox.session
def fuzz(session: nox.Session) -> None:
    """Differential fuzzing against RETURNN with many examples; prints the generator statistics."""
    _install_package(session, "rc-serialize")
    env = {
        **QUIET_TF,
        "RC_FUZZ_EXAMPLES": os.environ.get("RC_FUZZ_EXAMPLES", "500"),
        "RC_FUZZ_STATS": "1",
        "RC_TEST_RANDOM": "1",
        "HYPOTHESIS_STORAGE_DIRECTORY": str(ROOT / ".hypothesis"),
    }
    session.run(
        "pytest",
        str(_pkg_dir("rc-serialize") / "tests" / "fuzz"),
        "-p",
        "no:cacheprovider",
        "-k",
        "survive_the_pipeline",
        *session.posargs,
        env=env,
    )


if os.environ.get("CI"):
    # CI output is read by machines: keep it plain.
    os.environ.setdefault("NO_COLOR", "1")
