package sms

// The built-in SMS keywords, by language. A keyword ending in "*" is a
// lead keyword: it also opts out when it starts a longer message ("STOP
// sending me these"); the others must be the whole message, less
// punctuation and politeness ("Cancel" but not "Cancel my appointment").
// Lead keywords are the words that mean nothing but "stop" in the
// language; a word with other uses (CANCEL, END, QUIT, BAJA: "lower")
// is read only alone. Opt-in keywords are never lead keywords: a wrong
// opt-in sends to someone who asked not to be sent to, which is worse
// than a wrong opt-out.
//
// Every number gets English, the language of the keywords carriers and
// regulators name everywhere, and the languages of its region
// (regionLanguages); operators add and ignore keywords per tenant and
// region (KeywordConfig).
var builtinKeywords = map[string]KeywordList{
	// English. Opt-out: the keywords of the CTIA Messaging Principles and
	// Best Practices (STOP, END, CANCEL, UNSUBSCRIBE, QUIT), STOPALL
	// (US carriers, and Twilio's default opt-out list), and REVOKE and
	// OPT OUT, which the FCC's 2024 report and order on revoking consent
	// under the TCPA (FCC 24-24) names with STOP, QUIT, END, CANCEL and
	// UNSUBSCRIBE as replies a sender must honour. Opt-in: START and
	// UNSTOP (Twilio's defaults). Twilio also reads YES as an opt-in; it
	// is left out on purpose, because a YES answering a question (an
	// appointment confirmation) would opt a number back in. Add it per
	// tenant where YES means nothing else.
	"en": {
		OptOut: []string{"STOP*", "STOPALL*", "UNSUBSCRIBE*", "OPTOUT*", "OPT OUT*", "REVOKE*", "CANCEL", "END", "QUIT"},
		OptIn:  []string{"START", "UNSTOP"},
	},
	// French. Marketing SMS in France end with "STOP au <short code>":
	// the free opt-out that article L34-5 of the Code des postes et des
	// communications électroniques requires, in the form the operators'
	// and AF2M's codes of conduct for SMS set; STOP is the English list's.
	// ARRET (ARRÊT once folded) and its imperatives, and the words for
	// unsubscribing, are what subscribers write instead.
	"fr": {
		OptOut: []string{"ARRET*", "ARRETE*", "ARRETEZ*", "DESABONNER*", "DESABONNEMENT*", "DESINSCRIRE*", "DESINSCRIPTION*"},
	},
	// Spanish. BAJA ("darse de baja") is the customary opt-out in Spain
	// (the free opt-out of the LSSI, Ley 34/2002, articles 21 and 22),
	// ALTO and PARAR in Latin America and the US; ALTA is BAJA's
	// opposite. BAJA also means "lower" and ALTO "high": both are read
	// only alone.
	"es": {
		OptOut: []string{"BAJA", "DAR DE BAJA", "DARME DE BAJA", "ALTO", "PARAR", "CANCELAR", "DETENER"},
		OptIn:  []string{"ALTA"},
	},
	// German: STOPP is German for STOP; ABMELDEN and ABBESTELLEN
	// ("unsubscribe", "cancel a subscription") are customary in
	// German-speaking countries' SMS services.
	"de": {
		OptOut: []string{"STOPP*", "ABMELDEN*", "ABBESTELLEN*", "ENDE"},
	},
	// Italian: the words for "unsubscribe me" and "enough", customary in
	// Italian SMS services besides STOP. FINE ("end") is left out: in
	// English it is an answer, not a request.
	"it": {
		OptOut: []string{"DISISCRIVI*", "DISISCRIVIMI*", "CANCELLAMI*", "BASTA"},
	},
	// Portuguese: SAIR ("leave") is the customary opt-out of Brazilian SMS
	// services; PARAR and CANCELAR are Portugal's and Brazil's words for
	// stop and cancel.
	"pt": {
		OptOut: []string{"SAIR*", "DESCADASTRAR*", "PARAR", "CANCELAR"},
	},
}

// regionLanguages are the languages besides English read for a number of
// each region (ISO 3166-1 alpha-2): where the language is an official or
// majority one. KeywordConfig.Languages replaces a region's entry.
var regionLanguages = map[string][]string{
	// French: France and its overseas regions and collectivities,
	// Belgium, Switzerland, Luxembourg, Monaco, Canada, and the
	// French-speaking countries of Africa and the Caribbean.
	"FR": {"fr"}, "GP": {"fr"}, "MQ": {"fr"}, "GF": {"fr"}, "RE": {"fr"}, "YT": {"fr"}, "PM": {"fr"},
	"BL": {"fr"}, "MF": {"fr"}, "NC": {"fr"}, "PF": {"fr"}, "WF": {"fr"}, "BE": {"fr"}, "LU": {"fr", "de"},
	"MC": {"fr"}, "CA": {"fr"}, "CH": {"fr", "de", "it"}, "SN": {"fr"}, "CI": {"fr"}, "CM": {"fr"},
	"ML": {"fr"}, "BF": {"fr"}, "NE": {"fr"}, "TG": {"fr"}, "BJ": {"fr"}, "GA": {"fr"}, "CG": {"fr"},
	"CD": {"fr"}, "MG": {"fr"}, "GN": {"fr"}, "TD": {"fr"}, "CF": {"fr"}, "DJ": {"fr"}, "KM": {"fr"},
	"HT": {"fr"}, "MA": {"fr"}, "DZ": {"fr"}, "TN": {"fr"},
	// Spanish.
	"ES": {"es"}, "MX": {"es"}, "AR": {"es"}, "BO": {"es"}, "CL": {"es"}, "CO": {"es"}, "CR": {"es"},
	"CU": {"es"}, "DO": {"es"}, "EC": {"es"}, "GQ": {"es"}, "GT": {"es"}, "HN": {"es"}, "NI": {"es"},
	"PA": {"es"}, "PE": {"es"}, "PR": {"es"}, "PY": {"es"}, "SV": {"es"}, "UY": {"es"}, "VE": {"es"},
	// German.
	"DE": {"de"}, "AT": {"de"}, "LI": {"de"},
	// Italian.
	"IT": {"it"}, "SM": {"it"}, "VA": {"it"},
	// Portuguese.
	"PT": {"pt"}, "BR": {"pt"}, "AO": {"pt"}, "MZ": {"pt"}, "CV": {"pt"}, "GW": {"pt"}, "ST": {"pt"}, "TL": {"pt"},
}

// politeness are the words around a keyword that change nothing ("Stop
// svp", "STOP please", "Baja, gracias"), folded, in every language:
// removed from both ends of a message before it is compared.
var politeness = []string{
	"PLEASE", "PLS", "PLZ", "THANKS", "THANK YOU", "THX",
	"SVP", "STP", "S IL VOUS PLAIT", "S IL TE PLAIT", "MERCI",
	"POR FAVOR", "PORFA", "GRACIAS",
	"BITTE", "DANKE",
	"PER FAVORE", "GRAZIE",
	"OBRIGADO", "OBRIGADA",
}
