"""A one-node Slurm cluster on this machine for tests: munged, slurmctld and slurmd from Debian's packages
(``apt-get install slurm-wlm munge``), run as root in the foreground (no systemd), with every file — munge
key and socket, slurm.conf, state, spool, logs — in one folder and free TCP ports, so that nothing of the
machine's own Slurm or munge set-up (if any) is read or touched. Clients reach it through
``SLURM_CONF`` (:attr:`SlurmCluster.env`)."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

BINARIES = ("munged", "slurmctld", "slurmd", "sbatch", "squeue", "scancel", "sinfo")
START_TIMEOUT = 30.0  # s for munged's socket, then for the node to be idle
STOP_TIMEOUT = 10.0  # s for each daemon to exit on SIGTERM before SIGKILL


def unavailable_reason() -> str | None:
    """Why no test cluster can run here, or None when it can."""
    missing = [name for name in BINARIES if shutil.which(name) is None]
    if missing:
        return (
            f"real-Slurm test needs {', '.join(missing)} (apt-get install -y slurm-wlm munge, "
            "which tools/install_system_packages.sh does as root)"
        )
    if os.geteuid() != 0:
        return "real-Slurm test runs slurmd as root (jobs run as their submitter), and this is not root"
    return None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(condition: Callable[[], bool], timeout: float, what: str, logs: tuple[Path, ...] = ()) -> None:
    """Poll ``condition`` every 0.1 s; after ``timeout`` s raise naming ``what`` with the tail of ``logs``."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            tails = "".join(
                f"\n--- {log} (end):\n" + "".join(log.read_text(errors="replace").splitlines(True)[-15:])
                for log in logs
                if log.exists()
            )
            raise TimeoutError(f"{what}: not after {timeout:g} s{tails}")
        time.sleep(0.1)


class SlurmCluster:
    """The running cluster: ``env`` (os.environ with SLURM_CONF) for clients, ``folder`` with its files."""

    def __init__(self, folder: Path, cpus: int, memory_mb: int):
        self.folder = folder
        self.node = socket.gethostname().split(".")[0]
        self.conf = folder / "slurm.conf"
        self.env = {**os.environ, "SLURM_CONF": str(self.conf)}
        self.cpus = cpus
        self.memory_mb = memory_mb
        self._daemons: list[tuple[str, subprocess.Popen]] = []

    def _write_files(self) -> None:
        key = self.folder / "munge.key"
        key.write_bytes(os.urandom(1024))
        key.chmod(0o400)  # munged refuses a key others can read
        for name in ("state", "spool"):
            (self.folder / name).mkdir()
        f = self.folder
        # proctrack/pgid: a cancelled task's whole process group is signalled; with proctrack/linuxproc the
        # command of a cancelled task (a child of the job script) was left running here, reparented to init.
        # MinJobAge=4 keeps `sbatch --wait` polling every 2 s (it backs off to 8 s and 32 s only while
        # that stays under MinJobAge / 2; Slurm's src/sbatch/sbatch.c), so tests wait seconds, not half a minute.
        self.conf.write_text(f"""\
ClusterName=mgdmtest
SlurmctldHost={self.node}(127.0.0.1)
SlurmctldPort={_free_port()}
SlurmdPort={_free_port()}
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket={f}/munge.socket
StateSaveLocation={f}/state
SlurmdSpoolDir={f}/spool
SlurmctldPidFile={f}/slurmctld.pid
SlurmdPidFile={f}/slurmd.pid
SlurmctldLogFile={f}/slurmctld.log
SlurmdLogFile={f}/slurmd.log
ProctrackType=proctrack/pgid
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MpiDefault=none
ReturnToService=2
MinJobAge=4
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
NodeName={self.node} NodeAddr=127.0.0.1 CPUs={self.cpus} RealMemory={self.memory_mb} State=UNKNOWN
PartitionName=test Nodes={self.node} Default=YES MaxTime=INFINITE State=UP
""")

    def _start(self, name: str, *command: str) -> None:
        output = open(self.folder / f"{name}.out", "wb")
        with output:
            process = subprocess.Popen(
                command,
                stdout=output,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=self.env,
                start_new_session=True,
            )
        self._daemons.append((name, process))

    def _alive(self) -> bool:
        """True, or raises naming the first daemon that exited (a wrong conf, a port taken) and its output."""
        for name, process in self._daemons:
            if process.poll() is not None:
                output = self.folder / f"{name}.out"
                raise RuntimeError(
                    f"{name} exited with status {process.returncode} at start-up, see {output}:\n"
                    + output.read_text(errors="replace")[-1500:]
                )
        return True

    def start(self) -> None:
        self._write_files()
        f = self.folder
        # --force: the socket's folder is private to root (pytest's tmp_path), which munged warns about.
        self._start(
            "munged",
            "munged",
            "--foreground",
            "--force",
            f"--key-file={f}/munge.key",
            f"--socket={f}/munge.socket",
            f"--pid-file={f}/munged.pid",
            f"--log-file={f}/munged.log",
            f"--seed-file={f}/munged.seed",
        )
        wait_for(
            lambda: self._alive() and (f / "munge.socket").is_socket(),
            START_TIMEOUT,
            "munged's socket",
            (f / "munged.out",),
        )
        # -c: a fresh controller state, not one recovered from StateSaveLocation.
        self._start("slurmctld", "slurmctld", "-D", "-c", "-f", str(self.conf))
        self._start("slurmd", "slurmd", "-D", "-f", str(self.conf), "-N", self.node)
        wait_for(
            lambda: self._alive() and self.node_state() == "idle",
            START_TIMEOUT,
            f"Slurm node {self.node} idle",
            (f / "slurmctld.log", f / "slurmd.log"),
        )

    def node_state(self) -> str:
        result = subprocess.run(
            ["sinfo", "-h", "-n", self.node, "-o", "%T"], env=self.env, capture_output=True, text=True, timeout=10
        )
        return result.stdout.strip()

    def squeue(self) -> list[tuple[str, str, str]]:
        """(job id, e.g. "12_2" for task 2 of array job 12; job name; state, e.g. RUNNING) of every job."""
        result = subprocess.run(
            ["squeue", "-h", "-o", "%i %j %T"], env=self.env, capture_output=True, text=True, timeout=10, check=True
        )
        return [tuple(line.split()) for line in result.stdout.splitlines()]

    def job_processes(self) -> list[int]:
        """Process ids of jobs of this cluster still alive (their environment holds its SLURM_CONF)."""
        marker = f"\0SLURM_CONF={self.conf}\0".encode()
        pids = []
        for environ in Path("/proc").glob("[0-9]*/environ"):
            try:
                variables = b"\0" + environ.read_bytes()
            except OSError:  # gone meanwhile
                continue
            if b"\0SLURM_JOB_ID=" in variables and marker in variables:
                pids.append(int(environ.parent.name))
        return pids

    def stop(self) -> None:
        """Cancel every job, then stop the daemons (SIGTERM, SIGKILL after STOP_TIMEOUT s), newest first.
        Job steps (slurmstepd and the job's processes) run in their own sessions, so the jobs are cancelled
        and waited for while slurmd still runs."""
        if self._daemons and self._daemons[-1][1].poll() is None:
            subprocess.run(["scancel", "--user=root"], env=self.env, capture_output=True, timeout=10)
            try:
                wait_for(lambda: not self.squeue(), STOP_TIMEOUT, "jobs cancelled at teardown")
            except (TimeoutError, subprocess.SubprocessError):
                pass  # the daemons are stopped below all the same
        for pid in self.job_processes():  # none unless the scheduler lost track of one
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        for _, process in reversed(self._daemons):
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                try:
                    process.wait(STOP_TIMEOUT)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait(STOP_TIMEOUT)
        self._daemons.clear()


@contextmanager
def slurm_cluster(folder: Path, cpus: int | None = None, memory_mb: int = 1000) -> Iterator[SlurmCluster]:
    """A running one-node cluster with ``cpus`` CPUs (default: this machine's) and ``memory_mb`` MB for
    jobs, its files in ``folder`` (created); stopped on exit, also when starting it or the body failed."""
    folder.mkdir(parents=True)
    cluster = SlurmCluster(folder, cpus or os.cpu_count() or 1, memory_mb)
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()
