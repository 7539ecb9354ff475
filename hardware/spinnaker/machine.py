"""SpiNNaker machines as data: chips on a grid, cores per chip, router and memory sizes, and the
numbers sPyNNaker maps with (neurons per core, ring buffers, delays, energy constants).

Figures from SpiNNMachine's ``version_spin1.py`` / ``version_spin2.py`` and sPyNNaker's
constants (see ``../shared/specs/spinnaker.md``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Any


@dataclass(frozen=True)
class Machine:
    """One SpiNNaker machine: ``width`` x ``height`` chips (a 2-D mesh, routed X then Y)."""

    name: str
    width: int
    height: int
    #: cores per chip that run applications
    app_cores_per_chip: int
    router_entries: int
    dtcm_bytes: int
    sdram_bytes_per_chip: int
    #: cores numbered before the application cores on every chip (the monitor, ...)
    system_cores_per_chip: int = 1
    #: application cores the Ethernet chip (0, 0) gives up to the host link's gatherer
    ethernet_reserved_cores: int = 0
    neurons_per_core: int = 256
    poisson_per_core: int = 500
    max_row_length: int = 256
    ring_buffer_bits: int = 14
    #: delay-extension slots, each as long as the on-core maximum
    delay_extension_slots: int = 8
    #: the machine's time step (ms) and how much slower than real time it runs
    dt: float = 1.0
    time_scale_factor: float = 1.0
    clock_hz: float = 200e6
    #: energy model (sPyNNaker's): per multicast packet, per idle chip, per active core
    packet_energy_j: float = 0.8e-9
    idle_chip_w: float = 0.35
    active_core_w: float = 0.034

    @property
    def chips(self) -> int:
        return self.width * self.height

    @property
    def cores(self) -> int:
        return self.chips * self.app_cores_per_chip - self.ethernet_reserved_cores

    def chip_cores(self, chip: int) -> range:
        """The application core numbers of chip ``chip`` (numbered x first, (0, 0) is 0)."""
        first = self.system_cores_per_chip + (self.ethernet_reserved_cores if chip == 0 else 0)
        return range(first, self.system_cores_per_chip + self.app_cores_per_chip)

    def with_chips(self, width: int, height: int) -> "Machine":
        return replace(self, width=int(width), height=int(height))

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def spinnaker1(width: int = 8, height: int = 6) -> Machine:
    """SpiNNaker1: 18 ARM968 cores per chip, 64 KiB DTCM, 1023 router entries. As sPyNNaker runs
    it: core 0 is the monitor (SCAMP) and core 1 the extra monitor sPyNNaker puts on every chip,
    so 16 cores (2-17) run applications; the Ethernet chip (0, 0) also hosts the packet gatherer
    (core 2), leaving it 15 (seen on sPyNNaker 1!7.4.1's virtual board: 48 extra monitors and 1
    gatherer on a SpiNN-5 board, the CA3 memory on cores 3-12 of (0, 0)). The default grid is one
    SpiNN-5 board's 48 chips as an 8 x 6 mesh."""
    return Machine("SpiNNaker1", width, height, app_cores_per_chip=16, router_entries=1023,
                   dtcm_bytes=64 * 1024, sdram_bytes_per_chip=123_469_792,
                   system_cores_per_chip=2, ethernet_reserved_cores=1)


def default_machine(dt: float) -> Machine:
    """What a network maps onto when no machine is given: one SpiNN-5 board stepping at the
    network's ``dt`` (sPyNNaker's time step is a setting of the run, ``sim.setup(timestep)``)."""
    return replace(spinnaker1(), dt=dt)


def spinn3() -> Machine:
    """A SpiNN-3 board: 4 SpiNNaker1 chips (2 x 2)."""
    return replace(spinnaker1(2, 2), name="SpiNN-3")


def spinnaker2(width: int = 1, height: int = 1) -> Machine:
    """SpiNNaker2: 152 processing elements per chip, 128 KiB SRAM each, 16384 router entries."""
    return Machine("SpiNNaker2", width, height, app_cores_per_chip=152, router_entries=16384,
                   dtcm_bytes=128 * 1024, sdram_bytes_per_chip=1 << 30, clock_hz=300e6)


__all__ = ["Machine", "default_machine", "spinn3", "spinnaker1", "spinnaker2"]
