"""Requirement files read with `packaging`: packages, pip options, hashes and credentials."""

from __future__ import annotations

from snapshot.model_files.requirements import parse_requirement_line, parse_requirements_text

_FILE = """\
--index-url https://deploy:s3cret@pypi.example.invalid/simple
--extra-index-url=https://extra.example.invalid/simple
-f ./wheels
-r base.txt
-c constraints.txt
--trusted-host pypi.example.invalid
--pre
Requests[socks,security] >= 1.2, < 1.5 ; python_version < "3.12"  # why: old TLS
numpy==1.26.4 \\
    --hash=sha256:aaa \\
    --hash=sha256:bbb
git+https://glpat-abcdefghijklmnopqrst12@gitlab.example.invalid/org/Private_Pkg.git@v1.0#egg=Private_Pkg
"""


def test_packages_are_read_by_packaging():
    parsed = parse_requirements_text(_FILE)
    packages = parsed["packages"]
    assert sorted(packages) == ["numpy", "private-pkg", "requests"]
    requests = packages["requests"]
    assert requests["extras"] == ["security", "socks"]
    assert requests["markers"] == 'python_version < "3.12"'
    assert requests["pinned"] is None
    assert requests["canonical"] == 'requests[security,socks]<1.5,>=1.2; python_version < "3.12"'
    numpy = packages["numpy"]
    assert numpy["specifier"] == "==1.26.4" and numpy["pinned"] == "1.26.4"
    assert numpy["hashes"] == ["sha256:aaa", "sha256:bbb"]


def test_equivalent_specifiers_have_one_canonical_form():
    one = parse_requirement_line("Foo.Bar >= 1.2, < 1.5")
    two = parse_requirement_line("foo_bar<1.5,>=1.2")
    assert one["name"] == two["name"] == "foo-bar"
    assert one["canonical"] == two["canonical"]
    assert one["specifier"] == ">= 1.2, < 1.5"  # the document keeps what the file says


def test_pip_options_are_entries_in_file_order():
    options = parse_requirements_text(_FILE)["options"]
    assert [(o["option"], o["value"]) for o in options] == [
        ("--index-url", "https://[REDACTED]@pypi.example.invalid/simple"),
        ("--extra-index-url", "https://extra.example.invalid/simple"),
        ("--find-links", "./wheels"),
        ("--requirement", "base.txt"),
        ("--constraint", "constraints.txt"),
        ("--trusted-host", "pypi.example.invalid"),
        ("--pre", None),
    ]
    assert parse_requirement_line("-i https://attacker.invalid/simple")["option"] == "--index-url"


def test_credentials_never_survive_parsing():
    text = "\n".join([_FILE, "pkg2 @ git+https://TOKEN@gitlab.example.invalid/org/pkg2.git",
                      "--extra-index-url https://u:p@x.invalid/simple?token=abc"])
    parsed = parse_requirements_text(text)
    flat = repr(parsed)
    for secret in ("s3cret", "deploy:", "glpat-", "TOKEN@", "u:p@", "token=abc"):
        assert secret not in flat
    private = parsed["packages"]["private-pkg"]
    assert private["url"] == "git+https://[REDACTED]@gitlab.example.invalid/org/Private_Pkg.git@v1.0#egg=Private_Pkg"
    assert parsed["packages"]["pkg2"]["url"] == "git+https://[REDACTED]@gitlab.example.invalid/org/pkg2.git"
    # ssh's ordinary git@ user is not a credential
    assert "git@github.com" in parse_requirement_line("-e git+ssh://git@github.com/org/e.git#egg=e")["url"]


def test_comments_blank_lines_and_unreadable_lines():
    assert parse_requirement_line("   # only a comment") is None
    assert parse_requirement_line("") is None
    parsed = parse_requirements_text("ok==1\nnot a requirement!!\n")
    assert list(parsed["packages"]) == ["ok"]
    assert parsed["unparsed"] == ["not a requirement!!"]
