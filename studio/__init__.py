"""Application layer: the session, services, layers, export and check. app -> studio -> editors, segmenters -> core."""
