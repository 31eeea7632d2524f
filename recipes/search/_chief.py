"""The chief of a distributed `tune`: serves one stage's oracle to the workers."""

from __future__ import annotations

import os
import time


def serve_chief(tuner, poll=0.5):
    """Serves the tuner's oracle to the workers until they have all left.

    KerasTuner's own server checks every 20 s once the search is over; this
    one polls every `poll` seconds and frees its port, so the next stage of a
    coarse-to-fine search starts right away. Falls back to `tuner.search()`
    if KerasTuner's internals moved.
    """
    try:
        import grpc
        from keras_tuner.src import protos
        from keras_tuner.src.distribute import oracle_chief
    except ImportError:  # pragma: no cover
        tuner.search()
        return
    tuner.save()
    ip, port = os.environ["KERASTUNER_ORACLE_IP"], os.environ["KERASTUNER_ORACLE_PORT"]
    from concurrent import futures

    server = grpc.server(futures.ThreadPoolExecutor(max_workers=1))
    servicer = oracle_chief.OracleServicer(tuner.oracle)
    protos.get_service_grpc().add_OracleServicer_to_server(servicer, server)
    server.add_insecure_port(f"{ip}:{port}")
    server.start()
    try:
        while not (servicer.stop_triggered and oracle_chief.exit_chief(tuner.oracle)):
            time.sleep(poll)
    finally:
        server.stop(grace=1)
