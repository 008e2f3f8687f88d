package diameter

//go:generate go run ./internal/gengrouped grouped_table.go

type avpKey struct{ code, vendor uint32 }

// groupedBits answers "is this AVP grouped?" in constant time for the
// common case (IETF and 3GPP AVPs with codes below 8192); the rare rest go
// through a small map built once.
var (
	groupedIETF  [8192 / 64]uint64
	grouped3GPP  [8192 / 64]uint64
	groupedOther = map[avpKey]struct{}{}
)

func init() {
	for _, k := range groupedAVPs {
		switch {
		case k.code < 8192 && k.vendor == VendorNone:
			groupedIETF[k.code/64] |= 1 << (k.code % 64)
		case k.code < 8192 && k.vendor == Vendor3GPP:
			grouped3GPP[k.code/64] |= 1 << (k.code % 64)
		default:
			groupedOther[k] = struct{}{}
		}
	}
}

// isGrouped reports whether the dictionaries define (code, vendor) as Grouped.
func isGrouped(code, vendor uint32) bool {
	if code < 8192 {
		switch vendor {
		case VendorNone:
			return groupedIETF[code/64]&(1<<(code%64)) != 0
		case Vendor3GPP:
			return grouped3GPP[code/64]&(1<<(code%64)) != 0
		}
	}
	if len(groupedOther) == 0 {
		return false
	}
	_, ok := groupedOther[avpKey{code, vendor}]
	return ok
}
