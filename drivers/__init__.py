"""Everything that talks to a cellular modem: transport, AT engine, parsers, drivers, simulator.

`drivers` never imports `agent`.
"""
