package proxy

// sendmmsg(2) and recvmmsg(2) on linux/arm64.
const (
	sysSendmmsg = 269
	sysRecvmmsg = 243
)
