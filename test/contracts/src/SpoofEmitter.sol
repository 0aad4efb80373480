// SPDX-License-Identifier: UNLICENSED
pragma solidity ^0.8.24;

interface IERC20Metadata {
    function name() external view returns (string memory);
    function symbol() external view returns (string memory);
    function decimals() external view returns (uint8);
}

/// @title SpoofEmitter
/// @notice Logs ERC20 Transfer events with whatever fields the caller likes, while holding and moving no token.
/// The EVM sets a log's address to the contract that executed LOG, so however exact the copy, every log from
/// here carries this contract's address: the scanner must pick token logs by address (a listed contract),
/// never by topic0 and the `to` topic alone.
contract SpoofEmitter {
    string public name;
    string public symbol;
    uint8 public decimals;

    event Transfer(address indexed from, address indexed to, uint256 value);

    function emitTransfer(address from, address to, uint256 value) external {
        emit Transfer(from, to, value);
    }

    /// @notice Logs exactly what `token` logs for a transfer of `value` from `from` to `to` (same topics, same
    /// data), and takes on `token`'s name, symbol and decimals, so that everything a scanner could read claims
    /// to be `token` except log.address, which no contract can set.
    function emitTransferAs(IERC20Metadata token, address from, address to, uint256 value) external {
        name = token.name();
        symbol = token.symbol();
        decimals = token.decimals();
        emit Transfer(from, to, value);
    }
}
