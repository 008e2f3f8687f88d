package view

import (
	"errors"
	"strconv"
)

// PLMN identifies a public land mobile network by MCC and MNC. The MNC
// length (2 or 3 digits) is part of the identity: 234-15 and 234-015 are
// different networks as far as IMSI prefixes are concerned.
// The zero value means "absent". PLMN is comparable with ==.
type PLMN struct {
	MCC    uint16
	MNC    uint16
	MNCLen uint8 // 2 or 3; 0 when the PLMN is absent
}

// IsZero reports whether the PLMN is absent.
func (p PLMN) IsZero() bool { return p.MNCLen == 0 }

// ParsePLMN parses "MCCMNC" as written in configuration: 5 or 6 digits.
func ParsePLMN(s string) (PLMN, error) {
	if len(s) != 5 && len(s) != 6 {
		return PLMN{}, errors.New("a PLMN is MCC+MNC: 5 or 6 digits, e.g. \"310260\" or \"23415\"")
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return PLMN{}, errors.New("a PLMN has only decimal digits")
		}
	}
	mcc, _ := strconv.Atoi(s[:3])
	mnc, _ := strconv.Atoi(s[3:])
	return PLMN{MCC: uint16(mcc), MNC: uint16(mnc), MNCLen: uint8(len(s) - 3)}, nil
}

// DecodePLMN reads the 3-octet TBCD PLMN identity of 3GPP TS 24.008 §10.5.1.3
// (used by Diameter Visited-PLMN-Id, GTP Serving Network, RAI, ULI):
// octet 1 = MCC2|MCC1, octet 2 = MNC3|MCC3, octet 3 = MNC2|MNC1; MNC3 = 0xF
// for two-digit MNCs. ok is false when a nibble is not a digit.
func DecodePLMN(b []byte) (p PLMN, ok bool) {
	if len(b) != 3 {
		return PLMN{}, false
	}
	mcc1, mcc2 := b[0]&0x0f, b[0]>>4
	mcc3, mnc3 := b[1]&0x0f, b[1]>>4
	mnc1, mnc2 := b[2]&0x0f, b[2]>>4
	if mcc1 > 9 || mcc2 > 9 || mcc3 > 9 || mnc1 > 9 || mnc2 > 9 || (mnc3 > 9 && mnc3 != 0x0f) {
		return PLMN{}, false
	}
	p.MCC = uint16(mcc1)*100 + uint16(mcc2)*10 + uint16(mcc3)
	if mnc3 == 0x0f {
		p.MNC = uint16(mnc1)*10 + uint16(mnc2)
		p.MNCLen = 2
	} else {
		p.MNC = uint16(mnc1)*100 + uint16(mnc2)*10 + uint16(mnc3)
		p.MNCLen = 3
	}
	return p, true
}

// Encode returns the 3-octet TBCD form (the inverse of DecodePLMN).
func (p PLMN) Encode() [3]byte {
	mcc1, mcc2, mcc3 := byte(p.MCC/100), byte(p.MCC/10%10), byte(p.MCC%10)
	var mnc1, mnc2, mnc3 byte
	if p.MNCLen == 3 {
		mnc1, mnc2, mnc3 = byte(p.MNC/100), byte(p.MNC/10%10), byte(p.MNC%10)
	} else {
		mnc1, mnc2, mnc3 = byte(p.MNC/10), byte(p.MNC%10), 0x0f
	}
	return [3]byte{mcc2<<4 | mcc1, mnc3<<4 | mcc3, mnc2<<4 | mnc1}
}

// AppendDigits appends the PLMN as MCC+MNC digits ("310260").
func (p PLMN) AppendDigits(b []byte) []byte {
	if p.IsZero() {
		return b
	}
	b = append(b, byte('0'+p.MCC/100), byte('0'+p.MCC/10%10), byte('0'+p.MCC%10))
	if p.MNCLen == 3 {
		b = append(b, byte('0'+p.MNC/100))
	}
	return append(b, byte('0'+p.MNC/10%10), byte('0'+p.MNC%10))
}

// String returns MCC+MNC digits, or "" when absent.
func (p PLMN) String() string {
	var buf [6]byte
	return string(p.AppendDigits(buf[:0]))
}

// PrefixOf reports whether the IMSI digits start with this PLMN's MCC+MNC.
func (p PLMN) PrefixOf(imsi *Digits) bool {
	if p.IsZero() {
		return false
	}
	var buf [6]byte
	pre := p.AppendDigits(buf[:0])
	return imsi.Len() >= len(pre) && string(imsi.Bytes()[:len(pre)]) == string(pre)
}
