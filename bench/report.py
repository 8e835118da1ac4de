#!/usr/bin/python3
"""bench/run's report: the Markdown results block from the key/value files the bench scripts wrote.

  report.py RESULTS_DIR TAG...          print the block (fails if a number is missing)
  report.py --into DOC BLOCK_FILE       replace the block between the bench/run markers in DOC
"""
import pathlib
import re
import sys

BEGIN, END = "<!-- bench/run:begin -->", "<!-- bench/run:end -->"
HTTP_GOAL_RATIO, HTTP_GOAL_P99_MS, SIGN_GOAL_RATIO, STARTUP_GOAL_MS, RSS_GOAL_MIB = 0.8, 5.0, 0.8, 3000, 256


def read_tsv(path):
    values = {}
    for line in path.read_text().splitlines():
        if line.strip():
            key, _, value = line.partition("\t")
            values[key] = value  # the last one wins (each script records the archive it used)
    return values


class Missing(Exception):
    pass


class Results:
    def __init__(self, tag, values):
        self.tag, self.values = tag, values

    def __getitem__(self, key):
        if key not in self.values or self.values[key] == "":
            raise Missing(f"{self.tag}: no {key}")
        return self.values[key]

    def num(self, key):
        return float(self[key])


def met(ok):
    return "met" if ok else "**missed**"


def ms(x):
    return f"{x:.2f} ms"


def secs(x):
    return f"{x / 1000:.1f} s"


def render(out, tags):
    meta = read_tsv(out / "meta.tsv")
    runs = [Results(tag, read_tsv(out / f"{tag}.tsv")) for tag in tags]
    smoke = meta["mode"] == "smoke"
    has_http = not any(r.values.get("http.skipped") for r in runs)
    lines = [BEGIN, "<!-- Written by bench/run: edit the script, not this block. -->", ""]
    if smoke:
        lines += ["**Smoke run** (`bench/run --smoke`): a second or so per step, only to check that every step works."
                  " These numbers mean nothing.", ""]
    lines += [
        f"Run {meta['date']} by `bench/run`. Machine: {meta['nproc']} cores ({meta['cpu']}), {meta['mem_gib']} GiB RAM,"
        f" {meta['kernel']}, {meta['os']}. Load average (1/5/15 min) before: {meta['load_before']}, after:"
        f" {meta['load_after']}.",
        "",
        "JDKs: " + "; ".join(f"{r.tag}: {r['jdk.label']}" for r in runs) + "."
        + (f" nginx: {meta['nginx']}, wrk {meta['wrk']}." if has_http else ""),
        f"Image defaults: the extracted jar, the archive `app-cds.sh` trained for that JDK, and `JAVA_TOOL_OPTIONS`"
        f" `{meta['jvm_flags']}`.",
        "",
    ]

    # Goals first.
    head = "| goal (issue 9) | " + " | ".join(r.tag for r in runs) + " |"
    lines += [head, "|---" * (len(runs) + 1) + "|"]
    goal_rows = []
    if has_http:
        cells = []
        for r in runs:
            worst = min(r.num(f"http.{d}.{s}.ratio") for d in ("discovery", "jwks") for s in (200, 304))
            p99 = max(r.num(f"http.{d}.{s}.service.p99_ms") for d in ("discovery", "jwks") for s in (200, 304))
            cells.append(f"{met(worst >= HTTP_GOAL_RATIO and p99 < HTTP_GOAL_P99_MS)}: lowest ratio {worst:.2f}x,"
                         f" highest p99 {ms(p99)}")
        goal_rows.append(("HTTP: ≥ 0.8x nginx and p99 < 5 ms (discovery and JWKS, 200 and 304)", cells))
    else:
        goal_rows.append(("HTTP: ≥ 0.8x nginx and p99 < 5 ms", ["skipped: wrk/nginx not installed" for _ in runs]))
    goal_rows.append((f"Sign: ≥ 0.8x raw JCA ({meta['sign_callers']} calls in flight)",
                      [f"{met(r.num('sign.inflight.ratio') >= SIGN_GOAL_RATIO)}: {r.num('sign.inflight.ratio'):.2f}x"
                       for r in runs]))
    goal_rows.append(("start-up < 3 s (image defaults)",
                      [f"{met(r.num('startup.image.ms') < STARTUP_GOAL_MS)}: {secs(r.num('startup.image.ms'))}"
                       for r in runs]))
    cells = []
    for r in runs:
        peaks = ([r.num("http.peak_rss_mib")] if has_http else []) + [r.num("sign.peak_rss_mib")]
        cells.append(f"{met(max(peaks) < RSS_GOAL_MIB)}: {max(peaks):.0f} MiB")
    goal_rows.append(("peak RSS < 256 MiB under the HTTP and the Sign load", cells))
    for name, cells in goal_rows:
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    lines.append("")

    lines += [f"**Discovery and JWKS vs nginx**: `wrk -t2 -c{meta['http_conns']}`, keep-alive, {meta['http_seconds']} s"
              f" per row after a {meta['http_warmup']} s warm-up of the service; 304 rows send `If-None-Match` with"
              " each server's own ETag. Service with the image defaults.", ""]
    if has_http:
        lines += ["| JDK | document | answer | service req/s | p50 | p99 | nginx req/s | p50 | p99 | ratio |",
                  "|---|---|---|---|---|---|---|---|---|---|"]
        for r in runs:
            for d in ("discovery", "jwks"):
                for s in (200, 304):
                    k = f"http.{d}.{s}"
                    lines.append(
                        f"| {r.tag} | {d} | {s} | {r.num(k + '.service.rps'):,.0f} | {ms(r.num(k + '.service.p50_ms'))}"
                        f" | {ms(r.num(k + '.service.p99_ms'))} | {r.num(k + '.nginx.rps'):,.0f}"
                        f" | {ms(r.num(k + '.nginx.p50_ms'))} | {ms(r.num(k + '.nginx.p99_ms'))}"
                        f" | **{r.num(k + '.ratio'):.2f}** |")
    else:
        lines.append("Skipped: wrk/nginx not installed.")
    lines.append("")

    lines += [f"**Sign over the Unix socket vs raw JCA**: {meta['sign_callers']} callers, RS256 (RSA 2048),"
              f" {meta['sign_seconds']} s per run after {meta['sign_warmup']} s warm-ups, in the order raw JCA, blocking,"
              " in flight, raw JCA; the ratio is to the mean of both raw runs. Service with the image defaults,"
              " client and raw JCA on the same JVM with its default options.", "",
              "| JDK | raw JCA ops/s (before / after) | Sign, calls in flight: ops/s, p50, p99 | ratio"
              " | Sign, blocking threads: ops/s, p50, p99 | ratio |",
              "|---|---|---|---|---|---|"]
    for r in runs:
        def sign(k):
            return f"{r.num(f'sign.{k}.ops'):,.0f}, {ms(r.num(f'sign.{k}.p50_ms'))}, {ms(r.num(f'sign.{k}.p99_ms'))}"
        lines.append(f"| {r.tag} | {r.num('sign.raw1.ops'):,.0f} / {r.num('sign.raw2.ops'):,.0f} | {sign('inflight')}"
                     f" | **{r.num('sign.inflight.ratio'):.2f}** | {sign('blocking')} | {r.num('sign.blocking.ratio'):.2f} |")
    lines.append("")

    lines += [f"**Start-up**: JVM start until readiness answers 200, the signer socket exists and the JWKS answers"
              f" (an existing key store: a restart), median of {meta['startup_runs']}; the CPU time (all threads) and the RSS"
              " at that moment.", "",
              "| JDK | `java -jar`, no options | image defaults | ratio | archive (training time, classes it served) |",
              "|---|---|---|---|---|"]
    for r in runs:
        plain, image = r.num("startup.plain.ms"), r.num("startup.image.ms")
        shared, total = r.num("cds.shared_classes"), r.num("cds.total_classes")
        lines.append(f"| {r.tag} | {secs(plain)} (CPU {secs(r.num('startup.plain.cpu_ms'))}),"
                     f" {r.num('startup.plain.rss_mib'):.0f} MiB | **{secs(image)}** (CPU {secs(r.num('startup.image.cpu_ms'))}),"
                     f" {r.num('startup.image.rss_mib'):.0f} MiB | {image / plain:.2f}"
                     f" | `{r['cds.archive']}` {r['cds.archive_mib']} MiB ({secs(r.num('cds.train_ms'))});"
                     f" {shared:.0f} of {total:.0f} classes ({100 * shared / total:.0f}%) |")
    lines.append("")

    lines += ["**Peak RSS** (VmHWM: start-up plus the load), image defaults:", "",
              "| JDK | under the HTTP load | under the Sign load |", "|---|---|---|"]
    for r in runs:
        http = f"{r.num('http.peak_rss_mib'):.0f} MiB" if has_http else "skipped"
        lines.append(f"| {r.tag} | {http} | {r.num('sign.peak_rss_mib'):.0f} MiB |")
    lines += ["", END]
    return "\n".join(lines) + "\n"


def into(doc, block_file):
    text = doc.read_text()
    block = block_file.read_text().strip("\n")
    pattern = re.compile(re.escape(BEGIN) + ".*?" + re.escape(END), re.S)
    if not pattern.search(text):
        sys.exit(f"report.py: {doc} has no {BEGIN} ... {END} block")
    doc.write_text(pattern.sub(lambda _: block, text, count=1))


def main(argv):
    if len(argv) == 3 and argv[0] == "--into":
        into(pathlib.Path(argv[1]), pathlib.Path(argv[2]))
        return
    if len(argv) < 2:
        sys.exit(__doc__)
    try:
        sys.stdout.write(render(pathlib.Path(argv[0]), argv[1:]))
    except (Missing, KeyError, ValueError) as e:
        sys.exit(f"report.py: a number is missing or malformed: {e}")


if __name__ == "__main__":
    main(sys.argv[1:])
