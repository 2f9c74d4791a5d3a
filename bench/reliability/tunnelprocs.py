"""Shared by streams.py and soak.py: start a kcptun server + client pair on loopback in front of an asyncio echo
target, read /proc figures of both processes, stop them. Any kcptun build works (ours, Go 20210922, Go 20260314)."""
import asyncio, os, signal, socket, subprocess, time


def free_port(kind):
    s = socket.socket(socket.AF_INET, kind)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def proc_status(pid):
    """VmRSS, VmHWM (MiB), threads and open file descriptors of a live process."""
    values = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, rest = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                values[key] = int(rest.split()[0]) / 1024
            elif key == "Threads":
                values[key] = int(rest.split()[0])
    values["Threads"] = values.get("Threads", 0)
    values["Fds"] = len(os.listdir(f"/proc/{pid}/fd"))
    return values


def proc_cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def echo(reader, writer):
    try:
        while True:
            data = await reader.read(65536)
            if not data:
                break
            writer.write(data)
            await writer.drain()
        writer.close()
    except (ConnectionError, OSError, asyncio.CancelledError):
        pass


class TunnelPair:
    def __init__(self, server_bin, client_bin, extra, log_dir=None, server_extra=()):
        self.server_bin, self.client_bin, self.extra = server_bin, client_bin, list(extra)
        self.server_extra = list(server_extra)
        self.log_dir = log_dir
        self.server = self.client = self.target = None

    async def start(self):
        self.target = await asyncio.start_server(echo, "127.0.0.1", 0, backlog=4096)
        tport = self.target.sockets[0].getsockname()[1]
        kport, self.local_port = free_port(socket.SOCK_DGRAM), free_port(socket.SOCK_STREAM)
        self.kcp_port = kport
        common = ["--key", "reliability", "--crypt", "aes", "--mode", "fast"] + self.extra
        out = lambda name: open(os.path.join(self.log_dir, name), "w") if self.log_dir else subprocess.DEVNULL
        self.server = subprocess.Popen([self.server_bin, "-l", f"127.0.0.1:{kport}", "-t", f"127.0.0.1:{tport}", "--quiet"] + common + self.server_extra,
                                       stdout=out("server.log"), stderr=subprocess.STDOUT)
        self.client = subprocess.Popen([self.client_bin, "-l", f"127.0.0.1:{self.local_port}", "-r", f"127.0.0.1:{kport}", "--quiet"] + common,
                                       stdout=out("client.log"), stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while True:
            try:
                if await self.echo_once(4096, timeout=5):
                    return
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("the tunnel never echoed")
            await asyncio.sleep(0.2)

    async def echo_once(self, size, timeout=30):
        payload = os.urandom(size)
        reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", self.local_port), timeout)
        try:
            writer.write(payload)
            got = await asyncio.wait_for(reader.readexactly(size), timeout)
            return got == payload
        finally:
            writer.close()

    def status(self):
        return proc_status(self.server.pid), proc_status(self.client.pid)

    def cpu(self):
        return proc_cpu_seconds(self.server.pid), proc_cpu_seconds(self.client.pid)

    async def stop(self):
        for p in (self.client, self.server):
            if p and p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in (self.client, self.server):
            if p:
                try:
                    p.wait(10)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
        if self.target:
            self.target.close()
            await self.target.wait_closed()
