package ui

// The "Alerts & notifications" part of the Settings page: quiet hours,
// reminders and the notification channels, each with its error next to
// it, saved to config.toml and applied at once; webhook and e-mail each
// with a Send test button.

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/holdfast/holdfast/core/alerts"
	"github.com/holdfast/holdfast/core/alerts/alertcfg"
	"github.com/holdfast/holdfast/core/config"
)

// smtpPasswordFile is where a password typed in Settings is kept, in the
// home folder next to config.toml.
const smtpPasswordFile = "smtp-password"

// alertSettings is the form; its fields are used on the UI thread only.
type alertSettings struct {
	s *Shell

	quietFrom, quietTo, renotify *widget.Entry
	desktop                      *widget.Check
	webhook                      *widget.Entry
	host, port, user, password   *widget.Entry
	from, to                     *widget.Entry
	starttls                     *widget.Check

	errs                   map[string]*widget.Label // by config key
	webhookTest, emailTest *widget.Button
	webhookOut, emailOut   *widget.Label
	saveBtn                *widget.Button
	status                 *widget.Label
	headers                map[string]string // kept as they are: edited in config.toml
	passwordFile           string
	card                   *widget.Card
	body                   *fyne.Container
}

func newAlertSettings(s *Shell) *alertSettings {
	f := &alertSettings{s: s, errs: map[string]*widget.Label{}}
	f.quietFrom, f.quietTo, f.renotify = widget.NewEntry(), widget.NewEntry(), widget.NewEntry()
	f.quietFrom.PlaceHolder, f.quietTo.PlaceHolder = "22:00", "07:00"
	f.renotify.PlaceHolder = "0s: never"
	f.desktop = widget.NewCheck("Show a desktop notification", nil)
	f.webhook = widget.NewEntry()
	f.webhook.PlaceHolder = "https://…"
	f.host, f.port, f.user = widget.NewEntry(), widget.NewEntry(), widget.NewEntry()
	f.host.PlaceHolder = "smtp.example.org — empty sends no mail"
	f.password = widget.NewPasswordEntry()
	f.from, f.to = widget.NewEntry(), widget.NewEntry()
	f.from.PlaceHolder = "Holdfast <holdfast@example.org>"
	f.to.PlaceHolder = "me@example.org, ops@example.org"
	f.starttls = widget.NewCheck("STARTTLS", nil)
	f.webhookOut, f.emailOut = mutedLabel(), mutedLabel()
	f.webhookOut.Hide()
	f.emailOut.Hide()
	f.webhookTest = widget.NewButtonWithIcon("Send test", theme.MailSendIcon(), f.testWebhook)
	f.emailTest = widget.NewButtonWithIcon("Send test", theme.MailSendIcon(), f.testEmail)
	f.saveBtn = widget.NewButtonWithIcon("Save", theme.DocumentSaveIcon(), func() { f.save(nil) })
	f.saveBtn.Importance = widget.HighImportance
	f.status = mutedLabel()
	f.fill(s.eng.Config().Alerts)
	return f
}

// fill shows a in the fields.
func (f *alertSettings) fill(a config.Alerts) {
	from, to, _ := strings.Cut(a.QuietHours, "-")
	f.quietFrom.SetText(strings.TrimSpace(from))
	f.quietTo.SetText(strings.TrimSpace(to))
	f.renotify.SetText(a.ReNotify.String())
	f.desktop.SetChecked(a.Desktop.Enabled)
	f.webhook.SetText(a.Webhook.URL)
	f.headers = a.Webhook.Headers
	f.host.SetText(a.Email.Host)
	f.port.SetText(strconv.Itoa(a.Email.Port))
	f.starttls.SetChecked(a.Email.StartTLS)
	f.user.SetText(a.Email.Username)
	f.passwordFile = a.Email.PasswordFile
	f.password.SetText("")
	f.password.PlaceHolder = "not set"
	if a.Email.PasswordFile != "" {
		f.password.PlaceHolder = "kept in " + a.Email.PasswordFile + "; type to change"
	}
	f.password.Refresh()
	f.from.SetText(a.Email.From)
	f.to.SetText(strings.Join(a.Email.To, ", "))
}

// collect reads the fields; a field that cannot be read at all is an
// error keyed as config.toml's key.
func (f *alertSettings) collect() (config.Alerts, map[string]string) {
	errs := map[string]string{}
	a := f.s.eng.Config().Alerts
	from, to := strings.TrimSpace(f.quietFrom.Text), strings.TrimSpace(f.quietTo.Text)
	switch {
	case from == "" && to == "":
		a.QuietHours = ""
	case from == "" || to == "":
		errs["alerts.quiet_hours"] = "give both the start and the end, or neither"
	default:
		a.QuietHours = from + "-" + to
	}
	a.ReNotify = config.Duration{}
	if s := strings.TrimSpace(f.renotify.Text); s != "" {
		if err := a.ReNotify.UnmarshalText([]byte(s)); err != nil {
			errs["alerts.renotify"] = fmt.Sprintf("%q is not a duration like \"2h\" or \"30m\"", s)
		}
	}
	a.Desktop.Enabled = f.desktop.Checked
	a.Webhook = config.AlertsWebhook{URL: strings.TrimSpace(f.webhook.Text), Headers: f.headers}
	a.Email = config.AlertsEmail{
		Host: strings.TrimSpace(f.host.Text), StartTLS: f.starttls.Checked,
		Username: strings.TrimSpace(f.user.Text), PasswordFile: f.passwordFile,
		From: strings.TrimSpace(f.from.Text),
	}
	if p, err := strconv.Atoi(strings.TrimSpace(f.port.Text)); err == nil {
		a.Email.Port = p
	} else {
		errs["alerts.email.port"] = fmt.Sprintf("%q is not a port number", f.port.Text)
	}
	for _, t := range strings.Split(f.to.Text, ",") {
		if t = strings.TrimSpace(t); t != "" {
			a.Email.To = append(a.Email.To, t)
		}
	}
	if f.password.Text != "" && a.Email.PasswordFile == "" {
		a.Email.PasswordFile = smtpPasswordFile
	}
	for _, e := range config.ValidateAlerts(a) {
		if _, had := errs[e.Key]; !had && !strings.HasPrefix(e.Key, "alerts.rule") {
			errs[e.Key] = strings.TrimPrefix(e.Msg, e.Key+": ")
		}
	}
	return a, errs
}

// showErrors puts each error under its field and reports whether there
// were none.
func (f *alertSettings) showErrors(errs map[string]string) bool {
	for k, l := range f.errs {
		var msgs []string
		for ek, msg := range errs {
			if ek == "alerts.email.port" { // the port is on the server's row
				ek = "alerts.email.host"
			}
			if ek == k || strings.HasPrefix(ek, k+".") {
				msgs = append(msgs, msg)
			}
		}
		if len(msgs) > 0 {
			l.SetText(strings.Join(msgs, "; "))
			l.Show()
		} else {
			l.Hide()
		}
	}
	if f.body != nil {
		f.body.Refresh() // the rows with an error grew
	}
	return len(errs) == 0
}

// save writes the settings to config.toml and applies them. done, when
// given, gets the outcome on the UI thread.
func (f *alertSettings) save(done func(error)) {
	a, errs := f.collect()
	if !f.showErrors(errs) {
		f.status.Importance = widget.DangerImportance
		f.status.SetText("Not saved: see the fields marked above.")
		if done != nil {
			done(errors.New("invalid settings"))
		}
		return
	}
	password := f.password.Text
	eng := f.s.eng
	f.saveBtn.Disable()
	f.status.Importance = widget.LowImportance
	f.status.SetText("Saving…")
	go func() {
		var err error
		if password != "" {
			err = alertcfg.WritePassword(alertcfg.PasswordPath(a.Email.PasswordFile, eng.Home().Dir), password)
		}
		var c config.Config
		if err == nil {
			c, err = alertcfg.Update(eng.Home().ConfigPath(), eng.Alerts, eng.AlertsEnv(), func(cur *config.Alerts) {
				rules := cur.Rules
				*cur = a
				cur.Rules = rules // the Alerts page owns the rules
			})
		}
		f.s.opts.do(func() {
			f.saveBtn.Enable()
			if err != nil {
				f.status.Importance = widget.DangerImportance
				f.status.SetText("Not saved: " + err.Error())
			} else {
				f.fill(c.Alerts)
				f.status.Importance = widget.SuccessImportance
				f.status.SetText("Saved to config.toml at " + time.Now().Format("15:04") + "; in force now.")
			}
			if done != nil {
				done(err)
			}
		})
	}()
}

// sendTest sends a test notification through n in a goroutine and shows
// the outcome in out.
func (f *alertSettings) sendTest(btn *widget.Button, out *widget.Label, n alerts.Notifier, done func(error)) {
	btn.Disable()
	out.Importance = widget.LowImportance
	out.SetText("Sending…")
	out.Show()
	f.body.Refresh()
	host := f.s.eng.Config().DeviceName()
	go func() {
		err := alertcfg.Test(context.Background(), n, host)
		f.s.opts.do(func() {
			btn.Enable()
			if err != nil {
				out.Importance = widget.DangerImportance
				out.SetText("Failed: " + err.Error())
			} else {
				out.Importance = widget.SuccessImportance
				out.SetText("Sent at " + time.Now().Format("15:04:05") + ". Check that it arrived.")
			}
			if done != nil {
				done(err)
			}
		})
	}()
}

func (f *alertSettings) testWebhook() { f.testWebhookDone(nil) }

func (f *alertSettings) testWebhookDone(done func(error)) {
	a, errs := f.collect()
	if a.Webhook.URL == "" {
		errs["alerts.webhook.url"] = "type the URL to send to"
	}
	if msg := errs["alerts.webhook.url"]; msg != "" {
		f.showErrors(map[string]string{"alerts.webhook.url": msg})
		if done != nil {
			done(errors.New(msg))
		}
		return
	}
	f.sendTest(f.webhookTest, f.webhookOut, alertcfg.Webhook(a.Webhook), done)
}

func (f *alertSettings) testEmail() { f.testEmailDone(nil) }

func (f *alertSettings) testEmailDone(done func(error)) {
	a, errs := f.collect()
	mailErrs := map[string]string{}
	for k, v := range errs {
		if strings.HasPrefix(k, "alerts.email") {
			mailErrs[k] = v
		}
	}
	if a.Email.Host == "" {
		mailErrs["alerts.email.host"] = "type the mail server to send through"
	}
	if !f.showErrors(mailErrs) {
		if done != nil {
			done(errors.New("invalid e-mail settings"))
		}
		return
	}
	m, err := alertcfg.Email(a.Email, f.s.eng.Home().Dir, f.password.Text)
	if err != nil {
		f.emailOut.Importance = widget.DangerImportance
		f.emailOut.SetText("Failed: " + err.Error())
		f.emailOut.Show()
		f.body.Refresh()
		if done != nil {
			done(err)
		}
		return
	}
	f.sendTest(f.emailTest, f.emailOut, m, done)
}

// view lays the form out as a card.
func (f *alertSettings) view() fyne.CanvasObject {
	row := func(key, label string, o fyne.CanvasObject, hint string) fyne.CanvasObject {
		e := widget.NewLabel("")
		e.Importance = widget.DangerImportance
		e.Wrapping = fyne.TextWrapWord
		e.Hide()
		f.errs[key] = e
		parts := []fyne.CanvasObject{o}
		if hint != "" {
			h := alCaption(fyne.TextAlignLeading)
			h.Truncation = fyne.TextTruncateOff
			h.Wrapping = fyne.TextWrapWord
			h.SetText(hint)
			parts = append(parts, h)
		}
		parts = append(parts, e)
		l := widget.NewLabelWithStyle(label, fyne.TextAlignTrailing, fyne.TextStyle{})
		return container.NewBorder(nil, nil, alColumn(150, l), nil, alTight(parts...))
	}
	narrow := func(o fyne.CanvasObject, w float32) fyne.CanvasObject {
		return container.NewHBox(alColumn(w, o))
	}
	quiet := container.NewHBox(alColumn(90, f.quietFrom), widget.NewLabel("to"), alColumn(90, f.quietTo))
	heading := func(text string) fyne.CanvasObject {
		return widget.NewLabelWithStyle(text, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	}
	hookHint := "Every notification is POSTed as JSON."
	if n := len(f.headers); n > 0 {
		hookHint += fmt.Sprintf(" %d header(s) from config.toml are sent with it.", n)
	}
	server := container.NewBorder(nil, nil, nil,
		container.NewHBox(widget.NewLabel("port"), alColumn(70, f.port), f.starttls), f.host)
	f.body = container.NewVBox(
		heading("When"),
		row("alerts.quiet_hours", "Quiet hours", quiet, "Only critical alerts notify between these times (local time). Leave both empty for none."),
		row("alerts.renotify", "Remind every", narrow(f.renotify, 120), "Repeat the notification of an alert still firing and not acknowledged, e.g. 2h; 0s never."),
		widget.NewSeparator(),
		heading("Where"),
		row("alerts.desktop", "Desktop", f.desktop, ""),
		row("alerts.webhook", "Webhook URL", container.NewBorder(nil, nil, nil, f.webhookTest, f.webhook), hookHint),
		container.NewBorder(nil, nil, alColumn(150, layout.NewSpacer()), nil, f.webhookOut),
		row("alerts.email.host", "Mail server", server, ""),
		row("alerts.email.username", "User name", f.user, "Empty does not log in."),
		row("alerts.email.password_file", "Password", f.password, "Kept in a file of its own (mode 0600), never in config.toml."),
		row("alerts.email.from", "From", f.from, ""),
		row("alerts.email.to", "To", container.NewBorder(nil, nil, nil, f.emailTest, f.to), ""),
		container.NewBorder(nil, nil, alColumn(150, layout.NewSpacer()), nil, f.emailOut),
		container.NewBorder(nil, nil, nil, f.saveBtn, f.status),
	)
	f.card = widget.NewCard("Alerts & notifications", "Saved to config.toml and in force at once; the rules are on the Alerts page.", f.body)
	return f.card
}
