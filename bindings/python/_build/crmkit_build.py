"""A minimal PEP 517 backend: builds a wheel of the pure-Python package plus libcrmkit.so.

The shared library is taken from $CRMKIT_LIBRARY, else from the first build tree of the source
checkout (../../build*/libcrmkit.so). Without one the wheel is pure Python and the package looks
for the library at import time (see crmkit/_lib.py).
"""
import base64
import hashlib
import os
import pathlib
import re
import sysconfig
import zipfile

HERE = pathlib.Path(__file__).resolve().parent.parent
NAME = "crmkit"


def _version():
    text = (HERE / "pyproject.toml").read_text()
    return re.search(r'^version\s*=\s*"([^"]+)"', text, re.M).group(1)


def _library():
    env = os.environ.get("CRMKIT_LIBRARY")
    if env and pathlib.Path(env).is_file():
        return pathlib.Path(env)
    for build in sorted(HERE.parent.parent.glob("build*")):
        if (build / "libcrmkit.so").is_file():
            return build / "libcrmkit.so"
    return None


# Data files the package reads at run time: (path in the package, where a source checkout has it).
DATA = [("data/tiers/default.json", "data/tiers/default.json")]


def _data_files():
    """(arcname relative to the package dir, bytes): the package's own copy (an unpacked sdist)
    if present, else the repository's file."""
    out = []
    for rel, repo_rel in DATA:
        for src in (HERE / NAME / rel, HERE.parent.parent / repo_rel):
            if src.is_file():
                out.append((rel, src.read_bytes()))
                break
        else:
            raise FileNotFoundError(f"crmkit_build: {repo_rel} not found (needed as {NAME}/{rel})")
    return out


def _metadata(version):
    return (f"Metadata-Version: 2.1\nName: {NAME}\nVersion: {version}\n"
            "Summary: ctypes bindings of crmkit\nRequires-Python: >=3.9\nLicense: MIT\n")


def get_requires_for_build_wheel(config_settings=None):
    return []


def get_requires_for_build_sdist(config_settings=None):
    return []


def prepare_metadata_for_build_wheel(metadata_directory, config_settings=None):
    version = _version()
    info = pathlib.Path(metadata_directory) / f"{NAME}-{version}.dist-info"
    info.mkdir(parents=True, exist_ok=True)
    (info / "METADATA").write_text(_metadata(version))
    return info.name


def _record_line(arcname, data):
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{arcname},sha256={digest},{len(data)}"


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    version = _version()
    lib = _library()
    tag = "py3-none-any"
    if lib:
        tag = "py3-none-" + sysconfig.get_platform().replace("-", "_").replace(".", "_")
    files = [(f"{NAME}/{p.name}", p.read_bytes()) for p in sorted((HERE / NAME).glob("*.py"))]
    files += [(f"{NAME}/{rel}", data) for rel, data in _data_files()]
    if lib:
        files.append((f"{NAME}/libcrmkit.so", lib.read_bytes()))
    info = f"{NAME}-{version}.dist-info"
    files.append((f"{info}/METADATA", _metadata(version).encode()))
    files.append((f"{info}/WHEEL", (f"Wheel-Version: 1.0\nGenerator: crmkit_build\n"
                                    f"Root-Is-Purelib: {'false' if lib else 'true'}\nTag: {tag}\n").encode()))
    record = [_record_line(name, data) for name, data in files] + [f"{info}/RECORD,,"]
    files.append((f"{info}/RECORD", ("\n".join(record) + "\n").encode()))
    wheel_name = f"{NAME}-{version}-{tag}.whl"
    with zipfile.ZipFile(pathlib.Path(wheel_directory) / wheel_name, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in files:
            z.writestr(name, data)
    return wheel_name


def build_sdist(sdist_directory, config_settings=None):
    import tarfile
    version = _version()
    name = f"{NAME}-{version}"
    path = pathlib.Path(sdist_directory) / f"{name}.tar.gz"
    with tarfile.open(path, "w:gz") as tar:
        for rel in ["pyproject.toml", "_build/crmkit_build.py", *[f"{NAME}/{p.name}" for p in (HERE / NAME).glob("*.py")]]:
            tar.add(HERE / rel, arcname=f"{name}/{rel}")
        for rel, data in _data_files():
            import io
            member = tarfile.TarInfo(f"{name}/{NAME}/{rel}")
            member.size = len(data)
            tar.addfile(member, io.BytesIO(data))
    return path.name
