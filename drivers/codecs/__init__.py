"""One incremental codec per sensor protocol: bytes in, frames out, no I/O.

Every codec is a ``codec.Codec``: ``feed(bytes) -> list[frame]``, with counters of frames,
checksum errors, rejected frames and dropped bytes; frames are frozen dataclasses.

- ``nmea``: GNSS NMEA 0183 sentences (GGA, RMC, VTG, GSA, others raw).
- ``ubx``: u-blox UBX (NAV-PVT, ACK, others raw) and its command encoders.
- ``witmotion``: WT901/JY901 IMU frames and configuration commands.
- ``pms5003``: Plantower PMS5003 frames and commands.
- ``sds011``: Nova SDS011 data and reply frames, commands.
- ``sps30``: Sensirion SPS30 SHDLC replies and requests.
- ``at_modem``: cellular modem AT replies, unsolicited lines and commands.
- ``thermal``: GY-MCU90640 thermal camera frames and commands.
- ``modbus``: Modbus RTU temperature/humidity probe responses and requests.
"""
