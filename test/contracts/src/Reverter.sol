// SPDX-License-Identifier: UNLICENSED
pragma solidity ^0.8.24;

/// @title Reverter
/// @notice Accepts ETH and always reverts, to put mined transactions with status 0 on the chain: their `value`
/// and calldata look like a payment, but nothing moved except the sender's gas. Send them with an explicit gas
/// limit, since gas estimation refuses a call that reverts (see the README).
contract Reverter {
    error Refused();

    function fail() external payable {
        revert Refused();
    }

    /// @dev A plain ETH transfer (no calldata) fails the same way.
    receive() external payable {
        revert Refused();
    }
}
