package ui

// The Peers page's dialogs: invite a device (the code as text and as a QR
// code, with its countdown), join one (paste the code, name it,
// confirm), rename and remove a paired device.

import (
	"context"
	"errors"
	"fmt"
	"image"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
	qrcode "github.com/skip2/go-qrcode"

	"github.com/holdfast/holdfast/peers"
)

// qrImage draws text as a QR code of size×size pixels.
func qrImage(text string, size int) (image.Image, error) {
	q, err := qrcode.New(text, qrcode.Medium)
	if err != nil {
		return nil, fmt.Errorf("QR code: %w", err)
	}
	return q.Image(size), nil
}

// inviteView is the open invite dialog's content.
type inviteView struct {
	code    *widget.Label
	qr      *canvas.Image
	left    *widget.Label
	note    *widget.Label
	copyBtn *widget.Button
	object  fyne.CanvasObject
}

// showInvite makes an invite and shows its code. Without a listener
// there is nothing for the other device to connect to: the dialog says
// so and offers to start accepting peers.
func (p *peersPage) showInvite() {
	v := &inviteView{
		code: widget.NewLabelWithStyle("Making a code…", fyne.TextAlignLeading, fyne.TextStyle{Monospace: true}),
		left: widget.NewLabel(""),
		note: widget.NewLabel("On the other device, open Peers, choose Join a device and paste this code " +
			"or scan it; or run 'holdfast peer join CODE' there."),
	}
	v.code.Selectable = true
	v.code.Wrapping = fyne.TextWrapBreak
	v.note.Wrapping = fyne.TextWrapWord
	v.qr = canvas.NewImageFromImage(nil)
	v.qr.FillMode = canvas.ImageFillContain
	v.qr.ScaleMode = canvas.ImageScalePixels
	v.qr.SetMinSize(fyne.NewSize(220, 220))
	v.qr.Hide()
	var code string
	v.copyBtn = widget.NewButtonWithIcon("Copy code", theme.ContentCopyIcon(), func() {
		p.s.app.Clipboard().SetContent(code)
		v.copyBtn.SetText("Copied")
		v.copyBtn.SetIcon(theme.ConfirmIcon())
	})
	v.copyBtn.Disable()
	codeBox := container.NewBorder(nil, container.NewHBox(v.copyBtn), nil, nil, v.code)
	v.object = container.NewBorder(nil, container.NewVBox(v.left, v.note), nil, nil,
		container.NewBorder(nil, nil, v.qr, nil, codeBox))
	d := dialog.NewCustom("Invite a device", "Close", v.object, p.s.win)
	d.Resize(fyne.NewSize(640, 380))

	ctx, cancel := context.WithCancel(p.s.ctx)
	d.SetOnClosed(cancel)
	// A device that pairs while the dialog is open is greeted by name.
	known := map[string]bool{}
	for _, r := range p.d.list {
		known[r.ID.String()] = true
	}
	p.d.watchListUntil(ctx, func() {
		for _, r := range p.d.list {
			if !known[r.ID.String()] {
				known[r.ID.String()] = true
				v.left.SetText("Paired with " + r.Name + ". It may watch this device; grant it control on the Peers page if it should act here.")
				v.left.Importance = widget.SuccessImportance
				v.left.Refresh()
				cancel()
			}
		}
	})
	d.Show()

	go func() {
		var inv peers.InviteInfo
		err := p.d.call(ctx, target{}, peers.OpInvite, peers.InviteArgs{Expires: peers.DefaultInviteExpiry.String()}, &inv)
		var img image.Image
		if err == nil {
			img, err = qrImage(inv.Code, 512)
		}
		p.s.opts.do(func() {
			if err != nil {
				v.code.SetText("")
				v.note.SetText("Could not make an invite: " + err.Error())
				if len(p.s.eng.Peers.Addresses()) == 0 {
					v.note.SetText("This device does not accept peers, so the other device would have nothing to connect to. " +
						"Turn on “Accept other devices” on the Peers page or in Settings, then invite again.")
				}
				v.note.Importance = widget.DangerImportance
				v.note.Refresh()
				return
			}
			code = inv.Code
			v.code.SetText(inv.Code)
			v.copyBtn.Enable()
			v.qr.Image = img
			v.qr.Show()
			v.qr.Refresh()
			v.left.SetText(inviteLeft(inv.Expires, time.Now()))
			v.object.Refresh()
			go p.countdown(ctx, v, inv.Expires)
		})
	}()
}

// countdown keeps the invite's "expires in" true until it expires or the
// dialog closes.
func (p *peersPage) countdown(ctx context.Context, v *inviteView, exp time.Time) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			p.s.opts.do(func() {
				if ctx.Err() != nil {
					return
				}
				v.left.SetText(inviteLeft(exp, now))
				if !now.Before(exp) {
					v.qr.Hide()
					v.copyBtn.Disable()
				}
			})
			if !now.Before(exp) {
				return
			}
		}
	}
}

// showJoin asks for a code made on the other device and pairs with it.
// Errors (a mistyped, expired or used code; a device that cannot be
// reached) stay in the dialog, so the code can be fixed and tried again.
func (p *peersPage) showJoin() {
	code := widget.NewMultiLineEntry()
	code.SetPlaceHolder("hf1.…")
	code.Wrapping = fyne.TextWrapBreak
	code.SetMinRowsVisible(4)
	name := widget.NewEntry()
	name.SetPlaceHolder("the other device's own name")
	msg := widget.NewLabel("")
	msg.Wrapping = fyne.TextWrapWord
	msg.Hide()
	progress := widget.NewProgressBarInfinite()
	progress.Stop()
	progress.Hide()
	form := widget.NewForm(
		widget.NewFormItem("Code", code),
		widget.NewFormItem("Name it", name),
	)
	form.Items[0].HintText = "made by Invite a device on the other device"
	form.Items[1].HintText = "optional: how this device names the other one"
	var dlg *dialog.CustomDialog
	var joinBtn *widget.Button
	cancelBtn := widget.NewButton("Cancel", func() { dlg.Hide() })
	joinBtn = widget.NewButtonWithIcon("Pair", theme.ConfirmIcon(), func() {
		c := strings.Join(strings.Fields(code.Text), "")
		if c == "" {
			msg.SetText("Paste the code first.")
			msg.Importance = widget.DangerImportance
			msg.Show()
			return
		}
		joinBtn.Disable()
		code.Disable()
		name.Disable()
		msg.Importance = widget.MediumImportance
		msg.SetText("Connecting to the other device…")
		msg.Show()
		progress.Show()
		progress.Start()
		args := peers.JoinArgs{Code: c, Name: strings.TrimSpace(name.Text)}
		go func() {
			var info peers.PeerInfo
			err := p.d.call(p.s.ctx, target{}, peers.OpJoin, args, &info)
			p.s.opts.do(func() {
				progress.Stop()
				progress.Hide()
				if err != nil {
					msg.Importance = widget.DangerImportance
					msg.SetText("Could not pair: " + joinError(err))
					joinBtn.Enable()
					code.Enable()
					name.Enable()
					return
				}
				p.d.reload()
				msg.Importance = widget.SuccessImportance
				msg.SetText("Paired with " + info.Name + ". You can watch it from here now; it grants this device more on its own Peers page.")
				cancelBtn.SetText("Close")
			})
		}()
	})
	joinBtn.Importance = widget.HighImportance
	content := container.NewVBox(form, progress, msg)
	dlg = dialog.NewCustomWithoutButtons("Join a device", content, p.s.win)
	dlg.SetButtons([]fyne.CanvasObject{cancelBtn, joinBtn})
	dlg.Resize(fyne.NewSize(560, 340))
	dlg.Show()
	p.s.win.Canvas().Focus(code)
}

// joinError words a pairing failure for a person: the inviter's refusal
// in its own words, without the plumbing around it.
func joinError(err error) string {
	var refused *peers.RefusedError
	if errors.As(err, &refused) {
		return "the other device refused: " + refused.Reason
	}
	s := err.Error()
	s = strings.TrimPrefix(s, "join: ")
	return s
}

// showRename asks for a peer's new name.
func (p *peersPage) showRename(peer peers.PeerInfo) {
	e := widget.NewEntry()
	e.SetText(peer.Name)
	e.Validator = func(s string) error {
		if strings.TrimSpace(s) == "" {
			return errors.New("give a name")
		}
		return nil
	}
	dialog.ShowForm("Rename "+peer.Name, "Rename", "Cancel",
		[]*widget.FormItem{widget.NewFormItem("Name", e)}, func(ok bool) {
			if !ok || strings.TrimSpace(e.Text) == peer.Name {
				return
			}
			p.peerCall(peer, peers.OpRename, peers.PeerArgs{Name: strings.TrimSpace(e.Text)},
				"Could not rename "+peer.Name, nil)
		}, p.s.win)
}

// confirmRemove removes a peer after saying what that does.
func (p *peersPage) confirmRemove(peer peers.PeerInfo) {
	text := widget.NewLabel(fmt.Sprintf("%s will no longer be trusted: its connection is cut at once and it is "+
		"refused from then on. Nothing is deleted on %s itself. To pair again, make a new invite.", peer.Name, peer.Name))
	text.Wrapping = fyne.TextWrapWord
	d := dialog.NewCustomConfirm("Remove "+peer.Name+"?", "Remove", "Cancel", text, func(ok bool) {
		if ok {
			p.peerCall(peer, peers.OpRemove, peers.PeerArgs{}, "Could not remove "+peer.Name, nil)
		}
	}, p.s.win)
	d.Resize(fyne.NewSize(460, 200))
	d.Show()
}
