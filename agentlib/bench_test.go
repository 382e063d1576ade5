package agentlib

const receiverEnv = "AGENTLIB_FAKE_RECEIVER"

func runReceiverProcess() {}
