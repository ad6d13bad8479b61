// Package msgwin is the window both example programs show: a Gio
// counterpart of the Tkinter window of Pyro4's gui_eventloop example, with
// buttons that show the GUI still handles its own events and a list of the
// messages that remote calls add.
package msgwin
