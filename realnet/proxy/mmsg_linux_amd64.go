package proxy

// sendmmsg(2) and recvmmsg(2) on linux/amd64.
const (
	sysSendmmsg = 307
	sysRecvmmsg = 299
)
