//go:build !linux

package transport

import "context"

func listenSCTP(Address, Options) (Listener, error) { return nil, ErrUnsupported }

func dialSCTP(context.Context, Address, Options) (Conn, error) { return nil, ErrUnsupported }
