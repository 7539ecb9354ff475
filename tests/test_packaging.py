"""models/ and hardware/ live at the top level but install as neuromem.models / neuromem.hardware,
in an editable install (this test process) and in a wheel."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_namespaces_import_from_the_installed_package():
    import neuromem.hardware
    import neuromem.models.cuba

    assert Path(neuromem.models.cuba.__file__).parent.name == "models"
    assert neuromem.hardware.__doc__


def test_wheel_contains_models_and_hardware_under_neuromem(tmp_path):
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                    "-q", str(ROOT), "-w", str(tmp_path)], check=True, capture_output=True)
    (wheel,) = tmp_path.glob("neuromem-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for expected in ("neuromem/__init__.py", "neuromem/models/cuba.py",
                     "neuromem/hardware/__init__.py", "neuromem/backends/torch_backend.py",
                     "neuromem/hardware/spinnaker/mapping.py", "neuromem/models/ca3_cam.py",
                     "neuromem/ir/network.py"):
        assert expected in names
    assert not any(n.startswith(("models/", "hardware/")) for n in names)
    entry = next(n for n in names if n.endswith("entry_points.txt"))
    assert "neuromem = neuromem.cli:main" in zipfile.ZipFile(wheel).read(entry).decode()
