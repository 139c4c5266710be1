"""Where one endpoint's time goes: cProfile over repeated in-process requests.

    python -m bench.profile stall_list [--iterations 300] [--sort tottime] [--limit 40]

Uses the bench database as `make bench` left it (run `make bench` once first). The profile
is printed, never stored: it is for finding the next thing to make cheaper, not a result.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import sys

from bench.run import REPO, log


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("endpoint", help="an endpoint key of bench/endpoints.py")
    parser.add_argument("--iterations", type=int, default=300)
    parser.add_argument("--side", choices=("large", "small"), default="large")
    parser.add_argument("--sort", default="tottime")
    parser.add_argument("--limit", type=int, default=40)
    args = parser.parse_args(argv)
    sys.path.insert(0, str(REPO))
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"

    import django
    import psycopg

    from bench import seed
    from bench.database import bench_url, check_loopback

    url = bench_url()
    check_loopback(url)
    django.setup()
    with psycopg.connect(url) as conn:
        info = seed.load_info(conn)
    if info is None:
        log("The bench database holds no seed: run `make bench` first.")
        return 2

    from bench.endpoints import build_catalog, prepare_sides
    from bench.measure import WsgiClient

    client = WsgiClient()
    endpoints = {e.key: e for e in build_catalog().measured()}
    if args.endpoint not in endpoints:
        log(f"Unknown endpoint {args.endpoint!r}; one of: {', '.join(endpoints)}")
        return 2
    endpoint = endpoints[args.endpoint]
    if endpoint.kind == "write":
        log("Profile reads only: a write changes the data it is measured on.")
        return 2
    large, small = prepare_sides(info, client)
    side = large if args.side == "large" else small
    request = endpoint.build(side, "profile")
    for _ in range(20):  # warm caches and the connection
        response = client(request)
    if response.status != endpoint.expect:
        log(f"{endpoint.key} answered {response.status}, not {endpoint.expect}")
        return 1
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(args.iterations):
        client(request)
    profiler.disable()
    stats = pstats.Stats(profiler)
    total = stats.total_tt / args.iterations * 1000
    log(f"{endpoint.label}: {total:.2f} ms per request under the profiler")
    stats.sort_stats(args.sort).print_stats(args.limit)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
