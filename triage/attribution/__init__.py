"""Attribution: the signals a person acts on: spikes, and the flag values suspected behind a group."""
