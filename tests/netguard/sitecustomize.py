"""Child processes of the test suite: the network guard, when EMPATHY_SIGNALS_BLOCK_NETWORK is set."""

import empathy_netguard

if empathy_netguard.network_blocked():
    empathy_netguard.install()
