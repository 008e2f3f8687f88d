package geo

// Data sources and approach.
//
// MCCs: the ITU-T E.212 list of mobile country codes (Annex to ITU Operational
// Bulletin, "Mobile Network Codes (MNC) for the international identification
// plan for public networks and subscriptions"), plus 289 (Abkhazia), which is
// not ITU-assigned but is broadcast by networks there.
//
// Boxes: written by hand from general geographic knowledge of each country's
// extreme points (northernmost, southernmost, easternmost, westernmost), in
// degrees, rounded outward to about 0.1° and generous by design: a larger box
// only makes the velocity check more lenient. A box covers the main territory
// and the nearby or populated islands served by the MCC's networks. Remote
// uninhabited or military-only outposts are left out (e.g. Japan's
// Okinotorishima and Minamitorishima, the Spratly and Paracel features,
// Costa Rica's Cocos Island, Colombia's Malpelo, Venezuela's Isla Aves,
// South Africa's Prince Edward Islands, Norway's Jan Mayen).
//
// A country gets more than one box when one MCC serves territories far apart
// (USA: contiguous states, Alaska, Hawaii, and the territories where US
// networks broadcast 310–316; Spain: Canary Islands; Portugal: Madeira and
// Azores; Chile: Juan Fernández and Easter Island; ...). Overseas territories
// with an MCC of their own (330 Puerto Rico, 340 French Antilles, 547 French
// Polynesia, 647 Réunion, ...) are regions of their own.
//
// The antimeridian: a box with MinLon > MaxLon wraps across it (Russia, the
// Alaska box of the USA, Fiji); Kiribati is split into its three island groups
// instead of one huge wrapping box.

// region is a country or territory with its boxes.
type region struct {
	code  string // ISO 3166-1 alpha-2 (for a shared MCC, the principal territory)
	name  string
	boxes []Box // {MinLat, MinLon, MaxLat, MaxLon}
}

var regions = [...]region{
	// Europe (2xx)
	{"GR", "Greece", []Box{{34.7, 19.3, 41.8, 29.7}}},    // incl. Crete, Gavdos, Kastellorizo
	{"NL", "Netherlands", []Box{{50.7, 3.3, 53.6, 7.3}}}, // European part; the Caribbean islands use 362
	{"BE", "Belgium", []Box{{49.4, 2.5, 51.6, 6.5}}},
	{"FR", "France", []Box{{41.3, -5.2, 51.1, 9.6}}}, // metropolitan incl. Corsica; overseas have own MCCs
	{"MC", "Monaco", []Box{{43.70, 7.38, 43.77, 7.45}}},
	{"AD", "Andorra", []Box{{42.4, 1.4, 42.7, 1.8}}},
	{"ES", "Spain", []Box{
		{35.1, -9.4, 43.8, 4.4},    // mainland, Balearics, Ceuta, Melilla
		{27.6, -18.2, 29.5, -13.3}, // Canary Islands
	}},
	{"HU", "Hungary", []Box{{45.7, 16.1, 48.6, 22.9}}},
	{"BA", "Bosnia and Herzegovina", []Box{{42.5, 15.7, 45.3, 19.7}}},
	{"HR", "Croatia", []Box{{42.3, 13.4, 46.6, 19.5}}},
	{"RS", "Serbia", []Box{{41.8, 18.8, 46.2, 23.1}}}, // generous to the south (networks also reach northern Kosovo)
	{"XK", "Kosovo", []Box{{41.8, 20.0, 43.3, 21.8}}}, // "XK" is the user-assigned code in common use
	{"IT", "Italy", []Box{{35.4, 6.6, 47.1, 18.6}}},   // incl. Sicily, Sardinia, Lampedusa
	{"VA", "Vatican City", []Box{{41.89, 12.44, 41.91, 12.46}}},
	{"RO", "Romania", []Box{{43.6, 20.2, 48.3, 29.8}}},
	{"CH", "Switzerland", []Box{{45.8, 5.9, 47.9, 10.5}}},
	{"CZ", "Czechia", []Box{{48.5, 12.0, 51.1, 18.9}}},
	{"SK", "Slovakia", []Box{{47.7, 16.8, 49.7, 22.6}}},
	{"AT", "Austria", []Box{{46.3, 9.5, 49.1, 17.2}}},
	{"GB", "United Kingdom", []Box{{49.1, -8.7, 60.9, 1.8}}}, // 234/235 also serve Jersey, Guernsey, Isle of Man
	{"DK", "Denmark", []Box{{54.5, 8.0, 57.8, 15.2}}},        // incl. Bornholm; Faroe 288, Greenland 290
	{"SE", "Sweden", []Box{{55.3, 10.9, 69.1, 24.2}}},
	{"NO", "Norway", []Box{
		{57.9, 4.4, 71.2, 31.2},  // mainland
		{74.3, 10.4, 80.9, 33.6}, // Svalbard and Bjørnøya (served by Norwegian networks)
	}},
	{"FI", "Finland", []Box{{59.5, 19.0, 70.1, 31.6}}}, // incl. Åland
	{"LT", "Lithuania", []Box{{53.8, 20.9, 56.5, 26.9}}},
	{"LV", "Latvia", []Box{{55.6, 20.9, 58.1, 28.3}}},
	{"EE", "Estonia", []Box{{57.5, 21.7, 59.9, 28.3}}},
	{"RU", "Russia", []Box{
		{54.3, 19.6, 55.4, 22.95},  // Kaliningrad
		{41.1, 26.9, 82.0, -169.0}, // the rest, wrapping the antimeridian to Chukotka
	}},
	{"UA", "Ukraine", []Box{{44.3, 22.1, 52.4, 40.3}}},
	{"BY", "Belarus", []Box{{51.2, 23.1, 56.2, 32.8}}},
	{"MD", "Moldova", []Box{{45.4, 26.6, 48.5, 30.2}}},
	{"PL", "Poland", []Box{{49.0, 14.1, 54.9, 24.2}}},
	{"DE", "Germany", []Box{{47.2, 5.8, 55.1, 15.1}}},
	{"GI", "Gibraltar", []Box{{36.10, -5.37, 36.16, -5.33}}},
	{"PT", "Portugal", []Box{
		{36.9, -9.6, 42.2, -6.1},   // mainland
		{30.0, -17.3, 33.2, -15.8}, // Madeira, Porto Santo, Selvagens
		{36.9, -31.3, 39.8, -24.7}, // Azores
	}},
	{"LU", "Luxembourg", []Box{{49.4, 5.7, 50.2, 6.6}}},
	{"IE", "Ireland", []Box{{51.3, -10.7, 55.5, -5.9}}},
	{"IS", "Iceland", []Box{{63.2, -24.6, 67.2, -13.4}}}, // incl. Grímsey, Kolbeinsey
	{"AL", "Albania", []Box{{39.6, 19.2, 42.7, 21.1}}},
	{"MT", "Malta", []Box{{35.7, 14.1, 36.1, 14.6}}},
	{"CY", "Cyprus", []Box{{34.5, 32.2, 35.7, 34.6}}},
	{"GE", "Georgia", []Box{{41.0, 39.9, 43.6, 46.8}}}, // incl. Abkhazia (289) and South Ossetia
	{"AM", "Armenia", []Box{{38.8, 43.4, 41.3, 46.7}}},
	{"BG", "Bulgaria", []Box{{41.2, 22.3, 44.3, 28.7}}},
	{"TR", "Türkiye", []Box{{35.0, 25.6, 42.2, 44.9}}}, // generous to 35.0°N: northern Cyprus networks
	{"FO", "Faroe Islands", []Box{{61.3, -7.7, 62.4, -6.2}}},
	{"GL", "Greenland", []Box{{59.7, -73.3, 83.7, -11.3}}},
	{"SM", "San Marino", []Box{{43.89, 12.40, 44.0, 12.52}}},
	{"SI", "Slovenia", []Box{{45.4, 13.3, 46.9, 16.7}}},
	{"MK", "North Macedonia", []Box{{40.8, 20.4, 42.4, 23.1}}},
	{"LI", "Liechtenstein", []Box{{47.0, 9.4, 47.3, 9.7}}},
	{"ME", "Montenegro", []Box{{41.8, 18.4, 43.6, 20.4}}},

	// North America and the Caribbean (3xx)
	{"CA", "Canada", []Box{{41.6, -141.1, 83.2, -52.6}}},
	{"PM", "Saint Pierre and Miquelon", []Box{{46.7, -56.5, 47.2, -56.1}}},
	{"US", "United States", []Box{
		{24.4, -125.0, 49.5, -66.9},    // contiguous states (Key West, Cape Alava, Northwest Angle, West Quoddy)
		{51.2, 172.4, 71.5, -129.9},    // Alaska, wrapping the antimeridian: Attu (172.4°E) to the panhandle
		{18.8, -160.7, 22.4, -154.7},   // Hawaii (main islands)
		{17.6, -68.0, 18.6, -64.5},     // Puerto Rico and US Virgin Islands (also own MCCs 330, 332)
		{13.2, 144.6, 20.6, 146.1},     // Guam and Northern Mariana Islands (networks there broadcast 310/311)
		{-14.6, -171.1, -11.0, -168.1}, // American Samoa (also own MCC 544)
	}},
	{"PR", "Puerto Rico", []Box{{17.8, -68.0, 18.6, -65.2}}}, // incl. Mona, Vieques, Culebra
	{"VI", "U.S. Virgin Islands", []Box{{17.6, -65.1, 18.5, -64.5}}},
	{"MX", "Mexico", []Box{{14.5, -118.5, 32.8, -86.7}}}, // incl. Guadalupe and Revillagigedo islands
	{"JM", "Jamaica", []Box{{16.9, -78.4, 18.6, -75.9}}}, // incl. Pedro and Morant Cays
	{"GP", "French Antilles and French Guiana", []Box{ // 340: Guadeloupe, Martinique, St-Barthélemy, St-Martin, French Guiana
		{14.3, -63.2, 18.2, -60.8},
		{2.1, -54.7, 5.8, -51.6},
	}},
	{"BB", "Barbados", []Box{{13.0, -59.7, 13.4, -59.4}}},
	{"AG", "Antigua and Barbuda", []Box{{16.9, -62.4, 17.8, -61.6}}},
	{"KY", "Cayman Islands", []Box{{19.2, -81.5, 19.8, -79.7}}},
	{"VG", "British Virgin Islands", []Box{{18.3, -64.9, 18.8, -64.2}}},
	{"BM", "Bermuda", []Box{{32.2, -65.0, 32.5, -64.6}}},
	{"GD", "Grenada", []Box{{11.9, -61.9, 12.6, -61.3}}},
	{"MS", "Montserrat", []Box{{16.6, -62.3, 16.9, -62.1}}},
	{"KN", "Saint Kitts and Nevis", []Box{{17.0, -62.9, 17.5, -62.5}}},
	{"LC", "Saint Lucia", []Box{{13.7, -61.1, 14.2, -60.8}}},
	{"VC", "Saint Vincent and the Grenadines", []Box{{12.5, -61.5, 13.4, -61.1}}},
	{"CW", "Curaçao, Sint Maarten and Caribbean Netherlands", []Box{ // 362 (former Netherlands Antilles)
		{11.9, -69.2, 12.4, -68.1}, // Curaçao, Bonaire
		{17.4, -63.3, 18.1, -62.9}, // Sint Maarten, Saba, Sint Eustatius
	}},
	{"AW", "Aruba", []Box{{12.4, -70.1, 12.7, -69.8}}},
	{"BS", "Bahamas", []Box{{20.9, -80.5, 27.3, -72.7}}},
	{"AI", "Anguilla", []Box{{18.1, -63.5, 18.6, -62.9}}},
	{"DM", "Dominica", []Box{{15.2, -61.5, 15.7, -61.2}}},
	{"CU", "Cuba", []Box{{19.8, -85.0, 23.3, -74.1}}},
	{"DO", "Dominican Republic", []Box{{17.4, -72.1, 20.0, -68.3}}},
	{"HT", "Haiti", []Box{{18.0, -74.5, 20.1, -71.6}}},
	{"TT", "Trinidad and Tobago", []Box{{10.0, -62.0, 11.4, -60.4}}},
	{"TC", "Turks and Caicos Islands", []Box{{21.1, -72.5, 22.0, -71.0}}},

	// Asia and the Middle East (4xx)
	{"AZ", "Azerbaijan", []Box{{38.3, 44.7, 42.0, 51.0}}}, // incl. Nakhchivan and the Oil Rocks
	{"KZ", "Kazakhstan", []Box{{40.5, 46.4, 55.5, 87.4}}},
	{"BT", "Bhutan", []Box{{26.7, 88.7, 28.4, 92.2}}},
	{"IN", "India", []Box{{6.7, 68.1, 37.1, 97.5}}}, // incl. Lakshadweep, Andaman and Nicobar
	{"PK", "Pakistan", []Box{{23.6, 60.8, 37.1, 77.9}}},
	{"AF", "Afghanistan", []Box{{29.3, 60.4, 38.5, 74.9}}},
	{"LK", "Sri Lanka", []Box{{5.9, 79.5, 9.9, 81.9}}},
	{"MM", "Myanmar", []Box{{9.5, 92.1, 28.6, 101.2}}},
	{"LB", "Lebanon", []Box{{33.0, 35.1, 34.7, 36.7}}},
	{"JO", "Jordan", []Box{{29.1, 34.9, 33.4, 39.3}}},
	{"SY", "Syria", []Box{{32.3, 35.7, 37.4, 42.4}}},
	{"IQ", "Iraq", []Box{{29.0, 38.7, 37.4, 48.6}}},
	{"KW", "Kuwait", []Box{{28.5, 46.5, 30.1, 48.7}}},
	{"SA", "Saudi Arabia", []Box{{16.2, 34.4, 32.2, 55.7}}},
	{"YE", "Yemen", []Box{{12.0, 41.8, 19.0, 54.6}}}, // incl. Socotra
	{"OM", "Oman", []Box{{16.6, 51.8, 26.5, 59.9}}},  // incl. Musandam
	{"AE", "United Arab Emirates", []Box{{22.6, 51.4, 26.1, 56.4}}},
	{"IL", "Israel", []Box{{29.4, 34.2, 33.4, 35.9}}}, // 425 also serves the Palestinian territories, inside this box
	{"BH", "Bahrain", []Box{{25.5, 50.3, 26.4, 50.9}}},
	{"QA", "Qatar", []Box{{24.4, 50.7, 26.2, 51.7}}},
	{"MN", "Mongolia", []Box{{41.5, 87.7, 52.2, 120.0}}},
	{"NP", "Nepal", []Box{{26.3, 80.0, 30.5, 88.2}}},
	{"IR", "Iran", []Box{{25.0, 44.0, 39.8, 63.4}}},
	{"UZ", "Uzbekistan", []Box{{37.1, 55.9, 45.6, 73.2}}},
	{"TJ", "Tajikistan", []Box{{36.6, 67.3, 41.1, 75.2}}},
	{"KG", "Kyrgyzstan", []Box{{39.1, 69.2, 43.3, 80.3}}},
	{"TM", "Turkmenistan", []Box{{35.1, 52.4, 42.8, 66.7}}},
	{"JP", "Japan", []Box{{24.0, 122.9, 45.6, 145.9}}}, // Yonaguni to Nemuro, incl. Ryukyu and Ogasawara
	{"KR", "South Korea", []Box{{33.1, 124.6, 38.7, 131.9}}},
	{"VN", "Vietnam", []Box{{8.3, 102.1, 23.4, 109.5}}},
	{"HK", "Hong Kong", []Box{{22.1, 113.8, 22.6, 114.5}}},
	{"MO", "Macao", []Box{{22.1, 113.5, 22.3, 113.7}}},
	{"KH", "Cambodia", []Box{{9.8, 102.3, 14.7, 107.7}}},
	{"LA", "Laos", []Box{{13.9, 100.0, 22.5, 107.7}}},
	{"CN", "China", []Box{{18.1, 73.4, 53.6, 134.8}}},   // mainland incl. Hainan
	{"TW", "Taiwan", []Box{{21.8, 118.1, 26.4, 122.2}}}, // incl. Penghu, Kinmen, Matsu
	{"KP", "North Korea", []Box{{37.6, 124.1, 43.1, 130.8}}},
	{"BD", "Bangladesh", []Box{{20.5, 88.0, 26.7, 92.7}}},
	{"MV", "Maldives", []Box{{-0.7, 72.6, 7.1, 73.8}}},

	// Oceania and South-East Asia (5xx)
	{"MY", "Malaysia", []Box{{0.8, 99.6, 7.4, 119.3}}}, // peninsula, Sarawak, Sabah
	{"AU", "Australia", []Box{
		{-43.7, 112.9, -9.1, 153.7},  // mainland, Tasmania, Torres Strait islands
		{-31.6, 159.0, -28.9, 168.1}, // Lord Howe Island, Norfolk Island
		{-12.3, 96.8, -10.4, 105.8},  // Cocos (Keeling) Islands, Christmas Island
	}},
	{"ID", "Indonesia", []Box{{-11.1, 94.9, 6.1, 141.1}}},
	{"TL", "Timor-Leste", []Box{{-9.5, 124.0, -8.1, 127.4}}},
	{"PH", "Philippines", []Box{{4.5, 116.9, 21.2, 126.7}}},
	{"TH", "Thailand", []Box{{5.6, 97.3, 20.5, 105.7}}},
	{"SG", "Singapore", []Box{{1.15, 103.6, 1.48, 104.1}}},
	{"BN", "Brunei", []Box{{4.0, 114.0, 5.1, 115.4}}},
	{"NZ", "New Zealand", []Box{
		{-47.4, 166.3, -34.1, 178.7},   // North, South and Stewart Islands
		{-44.5, -177.0, -43.6, -175.8}, // Chatham Islands, across the antimeridian
	}},
	{"MP", "Northern Mariana Islands", []Box{{14.1, 144.8, 20.6, 146.1}}},
	{"GU", "Guam", []Box{{13.2, 144.6, 13.7, 145.0}}},
	{"NR", "Nauru", []Box{{-0.56, 166.89, -0.49, 166.97}}},
	{"PG", "Papua New Guinea", []Box{{-11.7, 140.8, -0.8, 159.6}}}, // incl. Bougainville, Manus, Nukumanu
	{"TO", "Tonga", []Box{{-22.4, -176.3, -15.5, -173.7}}},
	{"SB", "Solomon Islands", []Box{{-12.4, 155.4, -4.9, 170.3}}}, // incl. Ontong Java, Santa Cruz, Tikopia
	{"VU", "Vanuatu", []Box{{-20.3, 166.5, -13.0, 170.3}}},
	{"FJ", "Fiji", []Box{{-21.1, 176.8, -12.4, -178.1}}}, // wraps: Viti Levu and Rotuma (E) to the Lau Group (W)
	{"WF", "Wallis and Futuna", []Box{{-14.4, -178.3, -13.1, -176.1}}},
	{"AS", "American Samoa", []Box{{-14.6, -171.1, -11.0, -168.1}}}, // incl. Swains Island, Rose Atoll
	{"KI", "Kiribati", []Box{ // three island groups either side of the antimeridian
		{-2.7, 169.4, 3.2, 177.0},    // Gilbert Islands and Banaba
		{-4.8, -174.6, -2.7, -170.9}, // Phoenix Islands
		{-11.5, -160.5, 4.8, -150.1}, // Line Islands
	}},
	{"NC", "New Caledonia", []Box{{-22.9, 163.5, -19.5, 169.0}}},
	{"PF", "French Polynesia", []Box{{-28.0, -154.8, -7.7, -134.4}}}, // Society, Tuamotu, Gambier, Austral, Marquesas
	{"CK", "Cook Islands", []Box{{-22.0, -166.0, -8.9, -157.3}}},
	{"WS", "Samoa", []Box{{-14.1, -172.8, -13.4, -171.4}}},
	{"FM", "Micronesia", []Box{{0.9, 137.3, 10.2, 163.2}}},
	{"MH", "Marshall Islands", []Box{{4.5, 160.7, 14.7, 172.2}}},
	{"PW", "Palau", []Box{{2.8, 131.1, 8.2, 134.8}}},
	{"TV", "Tuvalu", []Box{{-10.8, 176.0, -5.6, 179.9}}},
	{"TK", "Tokelau", []Box{{-9.5, -172.6, -8.5, -171.1}}},
	{"NU", "Niue", []Box{{-19.2, -170.0, -18.9, -169.7}}},

	// Africa (6xx)
	{"EG", "Egypt", []Box{{21.7, 24.6, 31.7, 37.0}}}, // incl. the Halaib triangle
	{"DZ", "Algeria", []Box{{18.9, -8.7, 37.1, 12.0}}},
	{"MA", "Morocco", []Box{{20.7, -17.2, 36.0, -0.9}}}, // incl. Western Sahara, served by Moroccan networks
	{"TN", "Tunisia", []Box{{30.2, 7.5, 37.6, 11.6}}},
	{"LY", "Libya", []Box{{19.5, 9.3, 33.2, 25.2}}},
	{"GM", "Gambia", []Box{{13.0, -16.9, 13.9, -13.7}}},
	{"SN", "Senegal", []Box{{12.3, -17.6, 16.7, -11.3}}},
	{"MR", "Mauritania", []Box{{14.7, -17.1, 27.3, -4.8}}},
	{"ML", "Mali", []Box{{10.1, -12.3, 25.0, 4.3}}},
	{"GN", "Guinea", []Box{{7.1, -15.1, 12.7, -7.6}}},
	{"CI", "Côte d'Ivoire", []Box{{4.3, -8.6, 10.8, -2.4}}},
	{"BF", "Burkina Faso", []Box{{9.4, -5.6, 15.1, 2.4}}},
	{"NE", "Niger", []Box{{11.6, 0.1, 23.6, 16.0}}},
	{"TG", "Togo", []Box{{6.1, -0.2, 11.2, 1.9}}},
	{"BJ", "Benin", []Box{{6.2, 0.7, 12.5, 3.9}}},
	{"MU", "Mauritius", []Box{{-20.6, 56.5, -10.3, 63.6}}}, // incl. Rodrigues, Agaléga, St Brandon
	{"LR", "Liberia", []Box{{4.3, -11.5, 8.6, -7.3}}},
	{"SL", "Sierra Leone", []Box{{6.9, -13.4, 10.0, -10.2}}},
	{"GH", "Ghana", []Box{{4.7, -3.3, 11.2, 1.2}}},
	{"NG", "Nigeria", []Box{{4.2, 2.6, 13.9, 14.7}}},
	{"TD", "Chad", []Box{{7.4, 13.4, 23.5, 24.0}}},
	{"CF", "Central African Republic", []Box{{2.2, 14.4, 11.0, 27.5}}},
	{"CM", "Cameroon", []Box{{1.6, 8.4, 13.1, 16.2}}},
	{"CV", "Cabo Verde", []Box{{14.8, -25.4, 17.2, -22.6}}},
	{"ST", "São Tomé and Príncipe", []Box{{-0.1, 6.4, 1.75, 7.5}}},
	{"GQ", "Equatorial Guinea", []Box{{-1.5, 5.6, 3.8, 11.4}}}, // incl. Bioko and Annobón
	{"GA", "Gabon", []Box{{-4.0, 8.6, 2.4, 14.6}}},
	{"CG", "Congo", []Box{{-5.1, 11.1, 3.8, 18.7}}},
	{"CD", "DR Congo", []Box{{-13.5, 12.2, 5.4, 31.4}}},
	{"AO", "Angola", []Box{{-18.1, 11.6, -4.3, 24.1}}}, // incl. Cabinda
	{"GW", "Guinea-Bissau", []Box{{10.8, -16.8, 12.7, -13.6}}},
	{"SC", "Seychelles", []Box{{-10.3, 46.1, -3.6, 56.4}}}, // incl. Aldabra and Farquhar groups
	{"SD", "Sudan", []Box{{8.6, 21.8, 22.3, 38.7}}},
	{"RW", "Rwanda", []Box{{-2.9, 28.8, -1.0, 30.9}}},
	{"ET", "Ethiopia", []Box{{3.4, 32.9, 14.9, 48.0}}},
	{"SO", "Somalia", []Box{{-1.7, 40.9, 12.0, 51.5}}},
	{"DJ", "Djibouti", []Box{{10.9, 41.7, 12.8, 43.5}}},
	{"KE", "Kenya", []Box{{-4.8, 33.9, 5.1, 42.0}}},
	{"TZ", "Tanzania", []Box{{-11.8, 29.3, -0.9, 40.5}}}, // incl. Zanzibar, Pemba, Mafia
	{"UG", "Uganda", []Box{{-1.5, 29.5, 4.3, 35.1}}},
	{"BI", "Burundi", []Box{{-4.5, 28.9, -2.3, 30.9}}},
	{"MZ", "Mozambique", []Box{{-26.9, 30.2, -10.4, 40.9}}},
	{"ZM", "Zambia", []Box{{-18.1, 21.9, -8.2, 33.8}}},
	{"MG", "Madagascar", []Box{{-25.7, 43.1, -11.9, 50.6}}},
	{"RE", "Réunion and Mayotte", []Box{ // 647: French departments in the Indian Ocean
		{-21.4, 55.2, -20.8, 55.9}, // Réunion
		{-13.1, 44.9, -12.6, 45.4}, // Mayotte
	}},
	{"ZW", "Zimbabwe", []Box{{-22.5, 25.2, -15.6, 33.1}}},
	{"NA", "Namibia", []Box{{-29.0, 11.7, -16.9, 25.3}}},
	{"MW", "Malawi", []Box{{-17.2, 32.6, -9.3, 36.0}}},
	{"LS", "Lesotho", []Box{{-30.7, 27.0, -28.5, 29.5}}},
	{"BW", "Botswana", []Box{{-27.0, 19.9, -17.7, 29.4}}},
	{"SZ", "Eswatini", []Box{{-27.4, 30.7, -25.7, 32.2}}},
	{"KM", "Comoros", []Box{{-12.5, 43.2, -11.3, 44.6}}},
	{"ZA", "South Africa", []Box{{-34.9, 16.4, -22.1, 33.0}}},
	{"ER", "Eritrea", []Box{{12.3, 36.4, 18.1, 43.2}}},
	{"SH", "Saint Helena, Ascension and Tristan da Cunha", []Box{
		{-16.1, -5.9, -15.85, -5.6},  // Saint Helena
		{-8.0, -14.45, -7.85, -14.3}, // Ascension
		{-40.4, -12.8, -37.0, -9.8},  // Tristan da Cunha, Gough
	}},
	{"SS", "South Sudan", []Box{{3.4, 23.4, 12.3, 36.0}}},

	// Central and South America (7xx)
	{"BZ", "Belize", []Box{{15.8, -89.3, 18.5, -87.4}}},
	{"GT", "Guatemala", []Box{{13.7, -92.3, 17.9, -88.2}}},
	{"SV", "El Salvador", []Box{{13.1, -90.2, 14.5, -87.6}}},
	{"HN", "Honduras", []Box{{12.9, -89.4, 17.5, -83.1}}},  // incl. Bay and Swan Islands
	{"NI", "Nicaragua", []Box{{10.7, -87.7, 15.1, -82.6}}}, // incl. Corn Islands
	{"CR", "Costa Rica", []Box{{8.0, -86.0, 11.3, -82.5}}},
	{"PA", "Panama", []Box{{7.1, -83.1, 9.7, -77.1}}},
	{"PE", "Peru", []Box{{-18.4, -81.4, 0.0, -68.6}}},
	{"AR", "Argentina", []Box{{-55.1, -73.6, -21.7, -53.6}}},
	{"BR", "Brazil", []Box{{-33.8, -74.0, 5.3, -28.8}}}, // incl. Fernando de Noronha, Trindade
	{"CL", "Chile", []Box{
		{-56.6, -75.8, -17.4, -66.4},   // mainland to Cape Horn and Diego Ramírez
		{-33.9, -80.9, -33.5, -78.7},   // Juan Fernández Islands
		{-27.3, -109.5, -27.0, -109.2}, // Easter Island
	}},
	{"CO", "Colombia", []Box{
		{-4.3, -79.1, 12.5, -66.8}, // mainland
		{12.4, -81.8, 13.5, -81.3}, // San Andrés and Providencia
	}},
	{"VE", "Venezuela", []Box{{0.6, -73.4, 12.5, -59.8}}},
	{"BO", "Bolivia", []Box{{-22.9, -69.7, -9.6, -57.4}}},
	{"GY", "Guyana", []Box{{1.1, -61.4, 8.6, -56.4}}},
	{"EC", "Ecuador", []Box{
		{-5.1, -81.1, 1.5, -75.2}, // mainland
		{-1.5, -92.1, 1.7, -89.2}, // Galápagos
	}},
	{"GF", "French Guiana", []Box{{2.1, -54.7, 5.8, -51.6}}},
	{"PY", "Paraguay", []Box{{-27.6, -62.7, -19.2, -54.2}}},
	{"SR", "Suriname", []Box{{1.8, -58.1, 6.1, -53.9}}},
	{"UY", "Uruguay", []Box{{-35.1, -58.5, -30.0, -53.0}}},
	{"FK", "Falkland Islands", []Box{{-52.5, -61.4, -51.0, -57.6}}},

	// 9xx
	{"IO", "British Indian Ocean Territory", []Box{{-7.5, 71.2, -5.2, 72.6}}}, // Chagos, Diego Garcia
}

// mccs maps every assigned MCC to a region code; "" means assigned but
// without a geographic location.
var mccs = [...]struct {
	mcc  uint16
	code string
}{
	{1, ""}, // 001: test networks

	{202, "GR"},
	{204, "NL"},
	{206, "BE"},
	{208, "FR"}, // metropolitan France; overseas: 308, 340, 546, 547, 543, 647, 742
	{212, "MC"},
	{213, "AD"},
	{214, "ES"},
	{216, "HU"},
	{218, "BA"},
	{219, "HR"},
	{220, "RS"},
	{221, "XK"},
	{222, "IT"},
	{225, "VA"},
	{226, "RO"},
	{228, "CH"},
	{230, "CZ"},
	{231, "SK"},
	{232, "AT"},
	{234, "GB"}, // incl. Crown Dependencies (Jersey, Guernsey, Isle of Man)
	{235, "GB"},
	{238, "DK"},
	{240, "SE"},
	{242, "NO"}, // incl. Svalbard
	{244, "FI"}, // incl. Åland
	{246, "LT"},
	{247, "LV"},
	{248, "EE"},
	{250, "RU"},
	{255, "UA"},
	{257, "BY"},
	{259, "MD"},
	{260, "PL"},
	{262, "DE"},
	{266, "GI"},
	{268, "PT"}, // incl. Madeira and the Azores
	{270, "LU"},
	{272, "IE"},
	{274, "IS"},
	{276, "AL"},
	{278, "MT"},
	{280, "CY"},
	{282, "GE"},
	{283, "AM"},
	{284, "BG"},
	{286, "TR"},
	{288, "FO"},
	{289, "GE"}, // Abkhazia: not ITU-assigned, in de-facto use; located in Georgia's box
	{290, "GL"},
	{292, "SM"},
	{293, "SI"},
	{294, "MK"},
	{295, "LI"},
	{297, "ME"},

	{302, "CA"},
	{308, "PM"},
	{310, "US"}, // 310–316: USA incl. Alaska, Hawaii and the territories (Guam, Puerto Rico, ...)
	{311, "US"},
	{312, "US"},
	{313, "US"},
	{314, "US"},
	{315, "US"},
	{316, "US"},
	{330, "PR"}, // Puerto Rico (US territory with its own MCC)
	{332, "VI"}, // U.S. Virgin Islands
	{334, "MX"},
	{338, "JM"},
	{340, "GP"}, // French Antilles (Guadeloupe, Martinique, St-Barthélemy, St-Martin) and French Guiana
	{342, "BB"},
	{344, "AG"},
	{346, "KY"},
	{348, "VG"},
	{350, "BM"},
	{352, "GD"},
	{354, "MS"},
	{356, "KN"},
	{358, "LC"},
	{360, "VC"},
	{362, "CW"}, // Curaçao, Sint Maarten, Bonaire, Saba, Sint Eustatius
	{363, "AW"},
	{364, "BS"},
	{365, "AI"},
	{366, "DM"},
	{368, "CU"},
	{370, "DO"},
	{372, "HT"},
	{374, "TT"},
	{376, "TC"},

	{400, "AZ"},
	{401, "KZ"},
	{402, "BT"},
	{404, "IN"},
	{405, "IN"},
	{406, "IN"},
	{410, "PK"},
	{412, "AF"},
	{413, "LK"},
	{414, "MM"},
	{415, "LB"},
	{416, "JO"},
	{417, "SY"},
	{418, "IQ"},
	{419, "KW"},
	{420, "SA"},
	{421, "YE"},
	{422, "OM"},
	{424, "AE"},
	{425, "IL"}, // Israel and the Palestinian territories
	{426, "BH"},
	{427, "QA"},
	{428, "MN"},
	{429, "NP"},
	{430, "AE"}, // UAE (Abu Dhabi)
	{431, "AE"}, // UAE (Dubai)
	{432, "IR"},
	{434, "UZ"},
	{436, "TJ"},
	{437, "KG"},
	{438, "TM"},
	{440, "JP"},
	{441, "JP"},
	{450, "KR"},
	{452, "VN"},
	{454, "HK"},
	{455, "MO"},
	{456, "KH"},
	{457, "LA"},
	{460, "CN"},
	{461, "CN"},
	{466, "TW"},
	{467, "KP"},
	{470, "BD"},
	{472, "MV"},

	{502, "MY"},
	{505, "AU"}, // incl. Norfolk, Lord Howe, Christmas and Cocos Islands
	{510, "ID"},
	{514, "TL"},
	{515, "PH"},
	{520, "TH"},
	{525, "SG"},
	{528, "BN"},
	{530, "NZ"},
	{534, "MP"}, // Northern Mariana Islands
	{535, "GU"}, // Guam
	{536, "NR"},
	{537, "PG"},
	{539, "TO"},
	{540, "SB"},
	{541, "VU"},
	{542, "FJ"},
	{543, "WF"},
	{544, "AS"},
	{545, "KI"},
	{546, "NC"},
	{547, "PF"}, // French Polynesia
	{548, "CK"},
	{549, "WS"},
	{550, "FM"},
	{551, "MH"},
	{552, "PW"},
	{553, "TV"},
	{554, "TK"},
	{555, "NU"},

	{602, "EG"},
	{603, "DZ"},
	{604, "MA"},
	{605, "TN"},
	{606, "LY"},
	{607, "GM"},
	{608, "SN"},
	{609, "MR"},
	{610, "ML"},
	{611, "GN"},
	{612, "CI"},
	{613, "BF"},
	{614, "NE"},
	{615, "TG"},
	{616, "BJ"},
	{617, "MU"},
	{618, "LR"},
	{619, "SL"},
	{620, "GH"},
	{621, "NG"},
	{622, "TD"},
	{623, "CF"},
	{624, "CM"},
	{625, "CV"},
	{626, "ST"},
	{627, "GQ"},
	{628, "GA"},
	{629, "CG"},
	{630, "CD"},
	{631, "AO"},
	{632, "GW"},
	{633, "SC"},
	{634, "SD"},
	{635, "RW"},
	{636, "ET"},
	{637, "SO"},
	{638, "DJ"},
	{639, "KE"},
	{640, "TZ"},
	{641, "UG"},
	{642, "BI"},
	{643, "MZ"},
	{645, "ZM"},
	{646, "MG"},
	{647, "RE"}, // Réunion and Mayotte
	{648, "ZW"},
	{649, "NA"},
	{650, "MW"},
	{651, "LS"},
	{652, "BW"},
	{653, "SZ"},
	{654, "KM"},
	{655, "ZA"},
	{657, "ER"},
	{658, "SH"},
	{659, "SS"},

	{702, "BZ"},
	{704, "GT"},
	{706, "SV"},
	{708, "HN"},
	{710, "NI"},
	{712, "CR"},
	{714, "PA"},
	{716, "PE"},
	{722, "AR"},
	{724, "BR"},
	{730, "CL"},
	{732, "CO"},
	{734, "VE"},
	{736, "BO"},
	{738, "GY"},
	{740, "EC"},
	{742, "GF"}, // French Guiana (its networks mostly broadcast 340)
	{744, "PY"},
	{746, "SR"},
	{748, "UY"},
	{750, "FK"},

	{901, ""}, // international: satellite, maritime, aeronautical, global IoT
	{902, ""}, // international (shared use)
	{991, ""}, // trial of a new international service
	{995, "IO"},
	{999, ""}, // internal use in private networks
}
