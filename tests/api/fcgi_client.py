"""A minimal FastCGI client for the tests: talks to the responders' socket
directly, bypassing nginx, to send what nginx would never pass on.
Standard library only."""
import socket
import struct


def fcgi_record(rtype, content, req_id=1):
    out = b""
    while True:
        part, content = content[:65535], content[65535:]
        pad = (8 - len(part) % 8) % 8
        out += struct.pack(">BBHHBB", 1, rtype, req_id, len(part), pad, 0) + part + b"\0" * pad
        if not content:
            return out


def fcgi_pair(name, value):
    def ln(n):
        return bytes([n]) if n < 128 else struct.pack(">I", n | 0x80000000)
    return ln(len(name)) + ln(len(value)) + name + value


def fcgi_request(sock, params, stdin=b"", end_stdin=True, abort_after=None, timeout=20):
    """Runs one FastCGI request on the unix socket sock; params are (name, value)
    pairs (str or bytes).  Returns (status or None, the stdout bytes)."""
    p = b"".join(fcgi_pair(k if isinstance(k, bytes) else k.encode(),
                           v if isinstance(v, bytes) else v.encode())
                 for k, v in params)
    msg = fcgi_record(1, struct.pack(">HB5x", 1, 0))          # BEGIN_REQUEST, responder
    msg += fcgi_record(4, p) + fcgi_record(4, b"")              # PARAMS
    if stdin:
        msg += fcgi_record(5, stdin)
    if end_stdin:
        msg += fcgi_record(5, b"")
    if abort_after is not None:
        msg = msg[:abort_after]
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect(sock)
    out = b""
    try:
        try:
            s.sendall(msg)
        except (BrokenPipeError, ConnectionResetError):
            return None, b""
        if abort_after is not None:
            return None, b""
        buf = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            buf += chunk
            done = False
            while len(buf) >= 8:
                _, t, _, clen, pad, _ = struct.unpack(">BBHHBB", buf[:8])
                if len(buf) < 8 + clen + pad:
                    break
                if t == 6:
                    out += buf[8:8 + clen]
                if t == 3:
                    done = True
                buf = buf[8 + clen + pad:]
            if done:
                break
    finally:
        s.close()
    if not out.startswith(b"Status: "):
        return None, out
    return int(out[8:11]), out


def header(out, name):
    """Every value of header name in a FastCGI response (CGI-style headers)."""
    head = out.partition(b"\r\n\r\n")[0].decode("latin-1")
    return [ln.split(":", 1)[1].strip() for ln in head.split("\r\n")
            if ln.lower().startswith(name.lower() + ":")]
