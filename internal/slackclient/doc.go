// Package slackclient builds the real hooks.SlackClient on slack-go. Tests
// point it at internal/fakeslack through the API URL.
package slackclient
